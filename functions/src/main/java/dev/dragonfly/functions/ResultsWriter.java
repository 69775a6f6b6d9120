package dev.dragonfly.functions;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.ErrorsCsvWriter;
import dev.dragonfly.intake.IntakeResult;
import dev.dragonfly.intake.Json;
import dev.dragonfly.intake.RowErrors;
import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Writes a batch's verdict next to each other under {@code results/<source>/}: the errors CSV
 * first, then the JSON summary, whose presence means "results complete".
 */
public final class ResultsWriter {
  private final S3Client s3;
  private final String bucket;
  private final Database database;

  public ResultsWriter(S3Client s3, String bucket, Database database) {
    this.s3 = s3;
    this.bucket = bucket;
    this.database = database;
  }

  public void write(IntakeKey key, String objectKey, IntakeResult result) {
    String errorsKey = key.resultKey(result.batchId(), "errors.csv");
    String summaryKey = key.resultKey(result.batchId(), "summary.json");
    s3.putObject(b -> b.bucket(bucket).key(errorsKey).contentType("text/csv; charset=utf-8"),
        RequestBody.fromBytes(errorsCsv(result.batchId())));
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("bucket", bucket);
    summary.put("errors_csv", errorsKey);
    summary.put("result", result);
    s3.putObject(b -> b.bucket(bucket).key(summaryKey).contentType("application/json"),
        RequestBody.fromString(Json.write(summary)));
  }

  private byte[] errorsCsv(long batchId) {
    var bytes = new ByteArrayOutputStream();
    var out = new OutputStreamWriter(bytes, StandardCharsets.UTF_8);
    var writer = new ErrorsCsvWriter(out);
    database.jdbi().useTransaction(h -> RowErrors.forEachCurrent(h, batchId, Long.MAX_VALUE, writer::write));
    writer.flush();
    return bytes.toByteArray();
  }
}
