package dev.dragonfly.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.IntakeConfig;
import dev.dragonfly.intake.IntakePipeline;
import dev.dragonfly.intake.Json;
import dev.dragonfly.intake.Target;
import dev.dragonfly.intake.TestDatabase;
import dev.dragonfly.intake.TestPipelines;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The function's delivery guarantees, on S3Proxy and the SNS stand-in: a failure mid-load goes
 * back to Lambda, an outcome whose delivery failed after the commit is finished by the retry
 * (never replaced by another), and redeliveries of a decided object neither re-read it nor send
 * anything twice.
 */
class DeliveryTest {
  private static final String BUCKET = IntakeHandlerTest.BUCKET;
  private static final String KEY = "incoming/judgments/march.csv";
  private static LocalS3 localS3;

  private final Database db = TestDatabase.fresh();
  private final Target target = new Target(db);
  private final LocalS3.RequestLog s3Requests = new LocalS3.RequestLog();
  private S3Client s3;
  private SnsFake sns;
  private final ByteArrayOutputStream metrics = new ByteArrayOutputStream();

  @BeforeAll
  static void startS3() throws Exception {
    localS3 = new LocalS3();
    localS3.client().createBucket(b -> b.bucket(BUCKET));
  }

  @AfterAll
  static void stopS3() throws Exception {
    localS3.close();
  }

  @BeforeEach
  void setUp() throws IOException {
    s3 = localS3.client(s3Requests);
    for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(BUCKET)).contents()) {
      s3.deleteObject(b -> b.bucket(BUCKET).key(o.key()));
    }
    sns = new SnsFake();
  }

  @AfterEach
  void tearDown() {
    sns.close();
  }

  private IntakeService service(IntakePipeline pipeline) {
    return new IntakeService(pipeline, db, s3, BUCKET, new ResultsWriter(s3, BUCKET, db),
        new EventPublisher(LocalS3.sns(sns), IntakeHandlerTest.TOPIC),
        new BatchMetrics("DragonflyIntake", new PrintStream(metrics, true, StandardCharsets.UTF_8), Clock.systemUTC()));
  }

  private IntakeHandler handler(IntakePipeline pipeline) {
    IntakeService service = service(pipeline);
    return new IntakeHandler(() -> service);
  }

  private IntakeHandler handler() {
    return handler(new IntakePipeline(db, IntakeConfig.defaults(), Clock.systemUTC()));
  }

  private static String invoke(IntakeHandler handler, String event) throws IOException {
    var out = new ByteArrayOutputStream();
    handler.handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)), out, new FakeContext("req-1"));
    return out.toString(StandardCharsets.UTF_8);
  }

  private String put(String key, String content) throws IOException {
    String etag = s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromString(content)).eTag().replace("\"", "");
    return IntakeHandlerTest.fixture("s3-put.json", etag).replace("incoming/judgments/march.csv", key);
  }

  private List<String> eventTypes() {
    return sns.published().stream().map(p -> p.attributes().get("event_type")).toList();
  }

  private List<String> metricLines() {
    return metrics.toString(StandardCharsets.UTF_8).lines().toList();
  }

  private static String rows(int n) {
    List<String> rows = new ArrayList<>();
    for (int i = 1; i <= n; i++) rows.add("C-" + i + ",Acme,Jane Example," + i + ".00,2024-03-01");
    rows.add("C-X,Acme,Jane Example,not a number,2024-03-01");
    return IntakeHandlerTest.csv(rows.toArray(String[]::new));
  }

  @Test
  void failureMidLoadPropagatesSoLambdaRetriesAndTheRetryCompletesTheBatch() throws Exception {
    String event = put(KEY, rows(5000));
    IntakeHandler failing = handler(TestPipelines.losingItsConnectionOnceAfter(db,
        IntakeConfig.defaults().withChunkRows(1000).withTransientRetries(0), 2000));

    assertThatThrownBy(() -> invoke(failing, event)).isInstanceOf(RuntimeException.class);
    assertThat(target.batch(1).status()).isEqualTo("uploaded");
    assertThat(target.batch(1).lastError()).startsWith("database error 57P01");
    assertThat(sns.published()).isEmpty();

    assertThat(invoke(handler(), event)).isEqualTo("{\"outcomes\":[\"completed\"]}"); // Lambda's retry
    assertThat(target.batch(1).attempt()).isEqualTo(2);
    assertThat(target.batch(1).rowsInserted()).isEqualTo(5000);
    assertThat(eventTypes()).containsExactly("batch.completed");
  }

  @Test
  void snsOutageAfterTheCommitThenARetryPublishesTheOriginalOutcomeOnceWithResultsWrittenOnce() throws Exception {
    String event = put(KEY, rows(20));
    IntakeHandler handler = handler();
    sns.down(true);

    assertThatThrownBy(() -> invoke(handler, event)).isInstanceOf(RuntimeException.class);
    assertThat(sns.refused()).isPositive();
    assertThat(target.batch(1).status()).isEqualTo("completed");
    assertThat(target.batch(1).resultsWrittenAt()).isNotNull();
    assertThat(target.batch(1).eventPublishedAt()).isNull();
    assertThat(metricLines()).isEmpty();

    sns.down(false);
    assertThat(invoke(handler, event)).isEqualTo("{\"outcomes\":[\"duplicate\"]}"); // Lambda's retry
    invoke(handler, event); // and one more redelivery, for good measure

    assertThat(eventTypes()).containsExactly("batch.completed");
    var published = Json.MAPPER.readTree(sns.published().get(0).message()).path("batch");
    assertThat(published.path("batch_id").asLong()).isEqualTo(1);
    assertThat(published.path("rows_inserted").asLong()).isEqualTo(20);
    assertThat(published.path("rows_invalid").asLong()).isEqualTo(1);
    assertThat(metricLines()).hasSize(1).allSatisfy(l -> assertThat(l).contains("\"batch_id\":1"));
    assertThat(s3Requests.count("PutObject", "results/judgments/march.csv.1.summary.json")).as(s3Requests.toString())
        .isEqualTo(1);
    assertThat(s3Requests.count("PutObject", "results/judgments/march.csv.1.errors.csv")).isEqualTo(1);
    assertThat(s3Requests.count("GetObject", KEY)).isEqualTo(1); // the file was read once
    assertThat(target.batch(1).eventPublishedAt()).isNotNull();
  }

  @Test
  void contentDuplicateRedeliveredThreeTimesHasOneSetOfResultsAndOneDuplicateEvent() throws Exception {
    IntakeHandler handler = handler();
    invoke(handler, put(KEY, rows(10)));
    String copy = put("incoming/judgments/march-copy.csv", rows(10));

    assertThat(invoke(handler, copy)).isEqualTo("{\"outcomes\":[\"duplicate\"]}");
    for (int i = 0; i < 3; i++) invoke(handler, copy);

    assertThat(eventTypes()).containsExactly("batch.completed", "batch.duplicate");
    long copyBatch = target.count("SELECT id FROM intake.batches WHERE object_key = ? AND NOT redelivery",
        "incoming/judgments/march-copy.csv");
    assertThat(target.batch(copyBatch).duplicateOf()).isEqualTo(1);
    assertThat(s3Requests.count("PutObject", "results/judgments/march-copy.csv." + copyBatch + ".summary.json"))
        .isEqualTo(1);
    assertThat(s3Requests.count("GetObject", "incoming/judgments/march-copy.csv")).isEqualTo(1); // never re-read
    // each redelivery names the batch whose rows the copy holds, not the copy
    assertThat(target.count("SELECT count(*) FROM intake.batches WHERE redelivery AND object_key = ? AND duplicate_of = 1",
        "incoming/judgments/march-copy.csv")).isEqualTo(3);
  }

  @Test
  void contentDuplicateWhoseEventWasLostAfterTheCommitHasItOnTheRetryNotTheOriginalsOutbox() throws Exception {
    IntakeHandler handler = handler();
    invoke(handler, put(KEY, rows(10)));
    String copy = put("incoming/judgments/march-copy.csv", rows(10));
    sns.down(true);
    assertThatThrownBy(() -> invoke(handler, copy)).isInstanceOf(RuntimeException.class);
    sns.down(false);

    invoke(handler, copy); // the retry: the copy's own outbox, not batch 1's (complete already), is delivered
    assertThat(eventTypes()).containsExactly("batch.completed", "batch.duplicate");
    var published = Json.MAPPER.readTree(sns.published().get(1).message()).path("batch");
    assertThat(published.path("duplicate_of").asLong()).isEqualTo(1);
    assertThat(published.path("batch_id").asLong()).isNotEqualTo(1);
  }

  @Test
  void functionNearItsTimeoutGivesTheBatchBackAndTheRetryCompletesIt() throws Exception {
    String event = put(KEY, rows(20));
    IntakeService service = service(new IntakePipeline(db, IntakeConfig.defaults(), Clock.systemUTC()));
    var s3Event = new EventParser().parse(event).get(0);

    assertThatThrownBy(() -> service.handle(((Work.ObjectCreated) s3Event).event(), Instant.now().minusSeconds(1)))
        .hasMessageContaining("ran out of time");
    assertThat(target.batch(1).status()).isEqualTo("uploaded");
    assertThat(target.batch(1).lastError()).contains("ran out of time");

    assertThat(invoke(handler(), event)).isEqualTo("{\"outcomes\":[\"completed\"]}");
    assertThat(target.batch(1).attempt()).isEqualTo(2);
  }

  @Test
  void dryRunObjectRefusedUnreadIsAFailedDryRunNotARealBatch() throws Exception {
    db.jdbi().useHandle(h -> h.execute("UPDATE intake.source_profiles SET max_file_bytes = 100 WHERE name = 'judgments'"));
    String dryRunKey = "incoming/judgments/dry-run/march.csv";

    assertThat(invoke(handler(), put(dryRunKey, rows(20)))).isEqualTo("{\"outcomes\":[\"failed\"]}");

    assertThat(target.count("SELECT count(*) FROM intake.batches WHERE NOT dry_run")).isZero();
    assertThat(target.batch(1).dryRun()).isTrue();
    assertThat(target.batch(1).rejectionReason()).startsWith("FILE_TOO_LARGE");
    var published = Json.MAPPER.readTree(sns.published().get(0).message()).path("batch");
    assertThat(published.path("dry_run").asBoolean()).isTrue();
    assertThat(metricLines()).hasSize(1);
  }

  @Test
  void redriveOfADecidedBatchWhoseEventWasLostDeliversItAndNothingElse() throws Exception {
    String event = put(KEY, rows(20));
    IntakeHandler handler = handler();
    sns.down(true);
    assertThatThrownBy(() -> invoke(handler, event)).isInstanceOf(RuntimeException.class);
    sns.down(false);
    String redrive = IntakeHandlerTest.fixture("sns-redrive.json").replace("__BATCH_ID__", "1");

    assertThat(invoke(handler, redrive)).isEqualTo("{\"outcomes\":[\"completed\"]}");
    assertThat(invoke(handler, redrive)).isEqualTo("{\"outcomes\":[\"skipped\"]}");

    assertThat(eventTypes()).containsExactly("batch.completed");
    assertThat(s3Requests.count("GetObject", KEY)).isEqualTo(1);
  }

  @Test
  void reingestedRejectedBatchDeliversItsNewVerdict() throws Exception {
    IntakeHandler handler = handler();
    invoke(handler, put(KEY, rows(5))); // 1 bad row in 6: over the 10% threshold
    assertThat(target.batch(1).status()).isEqualTo("failed");
    db.jdbi().useHandle(h -> h.execute("UPDATE intake.source_profiles SET error_threshold_percent = 50"));
    new dev.dragonfly.intake.BatchStore(db.jdbi()).releaseForReingest(1, "threshold agreed", java.time.Duration.ofMinutes(1));

    String redrive = IntakeHandlerTest.fixture("sns-redrive.json").replace("__BATCH_ID__", "1");
    assertThat(invoke(handler, redrive)).isEqualTo("{\"outcomes\":[\"completed\"]}");

    assertThat(eventTypes()).containsExactly("batch.rejected", "batch.completed");
    assertThat(s3Requests.count("PutObject", "results/judgments/march.csv.1.summary.json")).isEqualTo(2);
    var summary = Json.MAPPER.readTree(s3.getObjectAsBytes(b -> b.bucket(BUCKET)
        .key("results/judgments/march.csv.1.summary.json")).asUtf8String());
    assertThat(summary.path("result").path("status").asText()).isEqualTo("completed");
  }

  @Test
  void completedOutcomeDeliveredByARedeliveryOrAReDrive_equalsTheOriginalFieldByField() throws Exception {
    assertRetriedOutcomesEqualTheOriginal(withIgnoredColumn(rows(20)), "batch.completed", 1);
  }

  @Test
  void rejectedOutcomeDeliveredByARedeliveryOrAReDrive_equalsTheOriginalFieldByField() throws Exception {
    assertRetriedOutcomesEqualTheOriginal(withIgnoredColumn(rows(5)), "batch.rejected", 1); // 1 bad row in 6
  }

  @Test
  void contentDuplicateOutcomeDeliveredByARedeliveryOrAReDrive_equalsTheOriginalFieldByField() throws Exception {
    String csv = withIgnoredColumn(rows(20));
    invoke(handler(), put("incoming/judgments/first.csv", csv)); // batch 1 loads it; march.csv is batch 2
    assertRetriedOutcomesEqualTheOriginal(csv, "batch.duplicate", 2);
  }

  /**
   * Delivers the object's outcome, then twice more as a retry after a failure past the commit
   * would (the event marked unpublished): by a redelivered event and by a re-drive message.
   */
  private void assertRetriedOutcomesEqualTheOriginal(String csv, String eventType, long batchId) throws Exception {
    String event = put(KEY, csv);
    IntakeHandler handler = handler();
    int first = sns.published().size();
    invoke(handler, event);
    var original = Json.MAPPER.readTree(sns.published().get(first).message()).path("batch");
    assertThat(original.path("batch_id").asLong()).isEqualTo(batchId);
    assertThat(original.path("ignored_columns").toString()).isEqualTo("[\"Vendor Notes\"]");

    forgetPublished(batchId);
    invoke(handler, event);
    forgetPublished(batchId);
    invoke(handler, IntakeHandlerTest.fixture("sns-redrive.json").replace("__BATCH_ID__", Long.toString(batchId)));

    assertThat(eventTypes().subList(first, eventTypes().size())).containsExactly(eventType, eventType, eventType);
    for (int i = 1; i <= 2; i++) {
      var retried = Json.MAPPER.readTree(sns.published().get(first + i).message()).path("batch");
      List<String> fields = new ArrayList<>();
      original.fieldNames().forEachRemaining(fields::add);
      List<String> retriedFields = new ArrayList<>();
      retried.fieldNames().forEachRemaining(retriedFields::add);
      assertThat(retriedFields).isEqualTo(fields);
      for (String field : fields) {
        assertThat(retried.path(field)).as("%s of retried delivery %d", field, i).isEqualTo(original.path(field));
      }
    }
  }

  /** As a function killed after the commit and before it marked the outcome event published leaves the row. */
  private void forgetPublished(long batchId) {
    db.jdbi().useHandle(h -> h.execute("UPDATE intake.batches SET event_published_at = NULL WHERE id = ?", batchId));
  }

  /** The same file with one more column, which the judgments profile does not know and ignores. */
  private static String withIgnoredColumn(String csv) {
    return csv.lines().map(l -> l + (l.startsWith("case_number") ? ",Vendor Notes" : ",n/a"))
        .reduce((a, b) -> a + "\n" + b).orElseThrow() + "\n";
  }
}
