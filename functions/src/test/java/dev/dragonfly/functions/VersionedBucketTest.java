package dev.dragonfly.functions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.IntakeConfig;
import dev.dragonfly.intake.IntakePipeline;
import dev.dragonfly.intake.Target;
import dev.dragonfly.intake.TestDatabase;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;

/**
 * The ingest function on a versioned bucket, as template.yaml deploys it (S3Mock with versioning
 * on, the real SDK client, real PostgreSQL): only the key's current version loads.
 */
class VersionedBucketTest {
  private static final String BUCKET = "dragonfly-intake-test";
  private static final String KEY = "incoming/judgments/march.csv";
  private static final String HEADER = "case_number,plaintiff_name,defendant_name,judgment_amount,judgment_date";

  private static VersionedS3 versioned;
  private static S3Client s3;

  private final Database db = TestDatabase.fresh();
  private final Target target = new Target(db);
  private SnsFake sns;
  private IntakeHandler handler;

  @BeforeAll
  static void startS3() throws Exception {
    versioned = new VersionedS3();
    s3 = versioned.client();
    s3.createBucket(b -> b.bucket(BUCKET));
    s3.putBucketVersioning(b -> b.bucket(BUCKET).versioningConfiguration(v -> v.status(BucketVersioningStatus.ENABLED)));
  }

  @AfterAll
  static void stopS3() throws Exception {
    if (versioned != null) versioned.close();
  }

  @BeforeEach
  void setUp() throws IOException {
    s3.listObjectVersionsPaginator(b -> b.bucket(BUCKET)).forEach(page -> {
      page.versions().forEach(v -> s3.deleteObject(b -> b.bucket(BUCKET).key(v.key()).versionId(v.versionId())));
      page.deleteMarkers().forEach(m -> s3.deleteObject(b -> b.bucket(BUCKET).key(m.key()).versionId(m.versionId())));
    });
    sns = new SnsFake();
    IntakeService service = new IntakeService(new IntakePipeline(db, IntakeConfig.defaults(), Clock.systemUTC()), db,
        s3, BUCKET, new ResultsWriter(s3, BUCKET, db), new EventPublisher(LocalS3.sns(sns), IntakeHandlerTest.TOPIC),
        new BatchMetrics("DragonflyIntake", new PrintStream(OutputStream.nullOutputStream()), Clock.systemUTC()));
    handler = new IntakeHandler(() -> service);
  }

  @Test
  void objectDeletedBeforeItIsRead_isRefusedAsNotFound_onceForAllRedeliveries() throws Exception {
    String event = eventFor(put("C-1,Acme,Jane Example,100.00,2024-03-01"));
    s3.deleteObject(b -> b.bucket(BUCKET).key(KEY)); // a delete marker; the version itself is still there

    assertThat(invoke(event)).isEqualTo("{\"outcomes\":[\"failed\"]}");
    assertThat(invoke(event)).isEqualTo("{\"outcomes\":[\"duplicate\"]}");

    assertThat(target.batch(1).rejectionReason()).isEqualTo("OBJECT_NOT_FOUND: the object was deleted or replaced"
        + " before it could be read; upload it again if it should load");
    assertThat(target.judgments()).isZero();
    assertThat(target.count("SELECT count(*) FROM intake.batches")).isEqualTo(2); // the failed one and its redelivery
    assertThat(eventTypes()).containsExactly("batch.failed");
  }

  @Test
  void olderVersionReadAfterANewerOne_isRefusedAsSuperseded_andTheTableKeepsTheNewerValues() throws Exception {
    String v1 = put("C-1,Acme,Jane Example,100.00,2024-03-01");
    String v2 = put("C-1,Acme,Jane Example,250.00,2024-03-01");

    assertThat(invoke(eventFor(v2))).isEqualTo("{\"outcomes\":[\"completed\"]}");
    assertThat(invoke(eventFor(v1))).isEqualTo("{\"outcomes\":[\"failed\"]}"); // v1's event came late

    assertThat(target.judgment("C-1").get("judgment_amount").toString()).isEqualTo("250.00");
    assertThat(target.batch(2).rejectionReason()).isEqualTo("OBJECT_SUPERSEDED: a newer version of the object"
        + " (version " + v2 + ") was uploaded before this one (version " + v1 + ") could be read; the newer one is"
        + " loaded from its own event and this one is not, so that it cannot overwrite it; to load this content,"
        + " upload it again");
    assertThat(target.batch(2).rowsTotal()).isZero(); // not read
    assertThat(eventTypes()).containsExactly("batch.completed", "batch.failed");
  }

  @Test
  void currentVersionLoads_evenWhenOlderVersionsExist() throws Exception {
    put("C-1,Acme,Jane Example,100.00,2024-03-01");
    String v2 = put("C-1,Acme,Jane Example,250.00,2024-03-01");

    assertThat(invoke(eventFor(v2))).isEqualTo("{\"outcomes\":[\"completed\"]}");

    assertThat(target.judgment("C-1").get("judgment_amount").toString()).isEqualTo("250.00");
    assertThat(eventTypes()).containsExactly("batch.completed");
  }

  /** Uploads one more version of {@link #KEY}; returns its version id. */
  private static String put(String... rows) {
    String csv = HEADER + "\n" + String.join("\n", rows) + "\n";
    return s3.putObject(b -> b.bucket(BUCKET).key(KEY), RequestBody.fromString(csv)).versionId();
  }

  private static String eventFor(String versionId) throws IOException {
    String etag = s3.headObject(b -> b.bucket(BUCKET).key(KEY).versionId(versionId)).eTag().replace("\"", "");
    return IntakeHandlerTest.fixture("s3-put-versioned.json", etag).replace("__VERSION_1__", versionId);
  }

  private String invoke(String event) throws IOException {
    var out = new ByteArrayOutputStream();
    handler.handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)), out, null);
    return out.toString(StandardCharsets.UTF_8);
  }

  private List<String> eventTypes() {
    return sns.published().stream().map(p -> p.attributes().get("event_type")).toList();
  }
}
