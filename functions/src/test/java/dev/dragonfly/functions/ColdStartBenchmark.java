package dev.dragonfly.functions;

import dev.dragonfly.intake.Database;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The cold-start benchmark (README "Benchmark: cold start"), not a test: starts PostgreSQL,
 * the in-process S3 server and the SNS stand-in, then five times runs the packaged function in
 * a fresh JVM ({@link LocalInvoke}) on a 1,000-row file and reports the median wall time from
 * process start to the handled event. Run by bench/cold-start.sh.
 */
public final class ColdStartBenchmark {
  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args.length > 0 ? args[0] : "functions/target/intake-function.jar").toAbsolutePath();
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start(); LocalS3 s3Server = new LocalS3(); SnsFake sns = new SnsFake()) {
      String dbUrl = "postgresql://postgres@localhost:" + pg.getPort() + "/postgres";
      new Database(pg.getPostgresDatabase()).migrate();
      S3Client s3 = s3Server.client();
      s3.createBucket(b -> b.bucket(IntakeHandlerTest.BUCKET));
      String etag = s3.putObject(b -> b.bucket(IntakeHandlerTest.BUCKET).key("incoming/judgments/march.csv"),
          RequestBody.fromString(IntakeHandlerTest.rows(1000))).eTag().replace("\"", "");
      Path event = Files.createTempFile("s3-put", ".json");
      Files.writeString(event, IntakeHandlerTest.fixture("s3-put.json", etag));
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      String jvmOptions = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
          .readTree(Path.of("template.yaml").toFile()).path("Resources").path("IngestFunction").path("Properties")
          .path("Environment").path("Variables").path("JAVA_TOOL_OPTIONS").asText("");
      System.out.println("JAVA_TOOL_OPTIONS from template.yaml: " + jvmOptions);
      List<Long> walls = new ArrayList<>();
      for (int i = 1; i <= runs; i++) {
        try (var c = pg.getPostgresDatabase().getConnection()) { // the same file must be new each run
          c.createStatement().execute(
              "TRUNCATE intake.batches, intake.row_errors, intake.judgments, intake.judgment_history CASCADE");
        }
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", jar.toString(), LocalInvoke.class.getName(), event.toString());
        pb.environment().put("DATABASE_URL", dbUrl);
        pb.environment().put("INTAKE_BUCKET", IntakeHandlerTest.BUCKET);
        pb.environment().put("EVENTS_TOPIC_ARN", IntakeHandlerTest.TOPIC);
        pb.environment().put("AWS_ENDPOINT_URL_S3", s3Server.endpoint().toString());
        pb.environment().put("AWS_ENDPOINT_URL_SNS", sns.endpoint().toString());
        pb.environment().put("AWS_ACCESS_KEY_ID", LocalS3.ACCESS_KEY);
        pb.environment().put("AWS_SECRET_ACCESS_KEY", LocalS3.SECRET_KEY);
        pb.environment().put("AWS_REGION", "us-east-1");
        pb.environment().put("JAVA_TOOL_OPTIONS", jvmOptions); // as template.yaml deploys it
        pb.redirectErrorStream(true);
        long start = System.nanoTime();
        Process p = pb.start();
        var output = new ByteArrayOutputStream();
        p.getInputStream().transferTo(output);
        int exit = p.waitFor();
        long wallMs = (System.nanoTime() - start) / 1_000_000;
        String text = output.toString(StandardCharsets.UTF_8);
        if (exit != 0 || !text.contains("\"completed\"")) throw new IllegalStateException("run " + i + " failed:\n" + text);
        walls.add(wallMs);
        String phases = text.lines().filter(l -> l.startsWith("cold-start")).findFirst().orElse("");
        System.out.printf("run %d: %d ms wall  (%s)%n", i, wallMs, phases);
      }
      List<Long> sorted = new ArrayList<>(walls);
      Collections.sort(sorted);
      System.out.printf("median of %d: %d ms; artifact %s: %.1f MB%n", runs, sorted.get(runs / 2), jar.getFileName(),
          Files.size(jar) / 1024.0 / 1024.0);
    }
  }
}
