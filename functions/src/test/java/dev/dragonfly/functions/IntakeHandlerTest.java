package dev.dragonfly.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.IntakeConfig;
import dev.dragonfly.intake.IntakePipeline;
import dev.dragonfly.intake.Json;
import dev.dragonfly.intake.Target;
import dev.dragonfly.intake.TestDatabase;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The ingest function end to end: real event JSON, a real S3 API (S3Proxy in-process) through
 * the real SDK client, the SNS stand-in recording every Publish, and real PostgreSQL.
 */
class IntakeHandlerTest {
  static final String BUCKET = "dragonfly-intake-test";
  static final String TOPIC = "arn:aws:sns:us-east-1:123456789012:intake-events";
  static final String HEADER = "case_number,plaintiff_name,defendant_name,judgment_amount,judgment_date";

  private static LocalS3 localS3;
  private static S3Client s3;

  private final Database db = TestDatabase.fresh();
  private final Target target = new Target(db);
  private SnsFake sns;
  private IntakeHandler handler;
  private final ByteArrayOutputStream metrics = new ByteArrayOutputStream();

  @BeforeAll
  static void startS3() throws Exception {
    localS3 = new LocalS3();
    s3 = localS3.client();
    s3.createBucket(b -> b.bucket(BUCKET));
  }

  @AfterAll
  static void stopS3() throws Exception {
    localS3.close();
  }

  @BeforeEach
  void setUp() throws IOException {
    for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(BUCKET)).contents()) {
      s3.deleteObject(b -> b.bucket(BUCKET).key(o.key()));
    }
    sns = new SnsFake();
    IntakeService service = new IntakeService(new IntakePipeline(db, IntakeConfig.defaults(), Clock.systemUTC()), db,
        s3, BUCKET, new ResultsWriter(s3, BUCKET, db), new EventPublisher(LocalS3.sns(sns), TOPIC),
        new BatchMetrics("DragonflyIntake", new PrintStream(metrics, true, StandardCharsets.UTF_8), Clock.systemUTC()));
    handler = new IntakeHandler(() -> service);
  }

  // ---- helpers ----

  static String csv(String... rows) {
    return HEADER + "\n" + String.join("\n", rows) + "\n";
  }

  static String rows(int n) {
    List<String> rows = new ArrayList<>();
    for (int i = 1; i <= n; i++) rows.add("C-" + i + ",Acme,Jane Example," + i + ".00,2024-03-01");
    return csv(rows.toArray(String[]::new));
  }

  /** Uploads and returns the ETag as S3 events carry it (no quotes). */
  static String put(String key, byte[] content) {
    return s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(content)).eTag().replace("\"", "");
  }

  static String put(String key, String content) {
    return put(key, content.getBytes(StandardCharsets.UTF_8));
  }

  static String fixture(String name, String... etags) throws IOException {
    try (var in = IntakeHandlerTest.class.getResourceAsStream("/events/" + name)) {
      String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      for (int i = 0; i < etags.length; i++) json = json.replace("__ETAG_" + (i + 1) + "__", etags[i]);
      return json;
    }
  }

  String invoke(String event) throws IOException {
    var out = new ByteArrayOutputStream();
    handler.handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)), out, null);
    return out.toString(StandardCharsets.UTF_8);
  }

  static List<String> keys(String prefix) {
    return s3.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(prefix)).contents().stream().map(S3Object::key).sorted().toList();
  }

  static String read(String key) {
    return s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asUtf8String();
  }

  List<String> eventTypes() {
    return sns.published().stream().map(p -> p.attributes().get("event_type")).toList();
  }

  // ---- tests ----

  @Test
  void directEventLoadsTheFileWritesResultsAndPublishesTheOutcome() throws Exception {
    String etag = put("incoming/judgments/march.csv", csv("C-1,Acme,Jane,1.00,2024-03-01", "C-2,Acme,John,x,2024-03-02",
        "C-3,Acme,Ann,3.00,2024-03-03", "C-4,Acme,Bo,4.00,2024-03-04", "C-5,Acme,Cy,5.00,2024-03-05",
        "C-6,Acme,Di,6.00,2024-03-06", "C-7,Acme,Ed,7.00,2024-03-07", "C-8,Acme,Flo,8.00,2024-03-08",
        "C-9,Acme,Gus,9.00,2024-03-09", "C-10,Acme,Hal,10.00,2024-03-10"));

    assertThat(invoke(fixture("s3-put.json", etag))).isEqualTo("{\"outcomes\":[\"completed\"]}");

    assertThat(target.judgments()).isEqualTo(9);
    assertThat(keys("results/")).containsExactly("results/judgments/march.csv.1.errors.csv",
        "results/judgments/march.csv.1.summary.json");
    var summary = Json.MAPPER.readTree(read("results/judgments/march.csv.1.summary.json"));
    assertThat(summary.path("result").path("status").asText()).isEqualTo("completed");
    assertThat(summary.path("result").path("rows_invalid").asLong()).isEqualTo(1);
    assertThat(summary.path("errors_csv").asText()).isEqualTo("results/judgments/march.csv.1.errors.csv");
    assertThat(read("results/judgments/march.csv.1.errors.csv")).isEqualTo("record_number,column,code,message\r\n"
        + "3,judgment_amount,INVALID_AMOUNT,\"judgment_amount must be a plain number >= 0 with at most 2 decimals"
        + " and below 10000000000, like 1234.50\"\r\n");
    assertThat(sns.published()).singleElement().satisfies(p -> {
      assertThat(p.topicArn()).isEqualTo(TOPIC);
      assertThat(p.subject()).isEqualTo("batch.completed");
      assertThat(p.attributes()).containsEntry("event_type", "batch.completed").containsEntry("source", "judgments")
          .containsEntry("status", "completed");
      var message = Json.MAPPER.readTree(p.message());
      assertThat(message.path("batch").path("batch_id").asLong()).isEqualTo(1);
      assertThat(message.path("batch").path("rows_inserted").asLong()).isEqualTo(9);
    });
    assertThat(target.batch(1).objectVersion()).isEqualTo("etag:" + etag);
    var emf = Json.MAPPER.readTree(metrics.toString(StandardCharsets.UTF_8));
    assertThat(emf.path("_aws").path("CloudWatchMetrics").get(0).path("Namespace").asText()).isEqualTo("DragonflyIntake");
    assertThat(emf.path("RowsTotal").asLong()).isEqualTo(10);
    assertThat(emf.path("RowsInvalid").asLong()).isEqualTo(1);
    assertThat(emf.path("ErrorRatePercent").asDouble()).isEqualTo(10.0);
    assertThat(emf.path("source").asText()).isEqualTo("judgments");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sns-wrapped.json", "sqs-wrapped.json", "sqs-sns-wrapped.json"})
  void wrappedEventsAreUnwrapped(String fixture) throws Exception {
    String etag = put("incoming/judgments/march.csv", rows(3));

    assertThat(invoke(fixture(fixture, etag))).isEqualTo("{\"outcomes\":[\"completed\"]}");

    assertThat(target.judgments()).isEqualTo(3);
    assertThat(eventTypes()).containsExactly("batch.completed");
  }

  @Test
  void everyRecordOfAMultiRecordEventIsLoaded() throws Exception {
    String one = put("incoming/judgments/part-1.csv", rows(2));
    String two = put("incoming/judgments/part-2.csv", csv("D-1,Acme,Jane,1.00,2024-03-01"));

    assertThat(invoke(fixture("s3-multi-record.json", one, two))).isEqualTo("{\"outcomes\":[\"completed\",\"completed\"]}");

    assertThat(target.judgments()).isEqualTo(3);
    assertThat(keys("results/")).hasSize(4);
  }

  @Test
  void keysAreDecodedAsS3EncodesThem() throws Exception {
    String key = "incoming/judgments/March 2026 + fixé.csv";
    String etag = put(key, rows(1));

    invoke(fixture("s3-put-awkward-key.json", etag));

    assertThat(target.batch(1).objectKey()).isEqualTo(key);
    assertThat(keys("results/")).contains("results/judgments/March 2026 + fixé.csv.1.summary.json");
  }

  @Test
  void sameEventTwiceIsLoadedOnceWithOneSetOfResults() throws Exception {
    String event = fixture("s3-put.json", put("incoming/judgments/march.csv", rows(5)));

    invoke(event);
    var before = target.snapshot("judgments");
    invoke(event);

    assertThat(target.snapshot("judgments")).isEqualTo(before);
    assertThat(target.count("SELECT count(*) FROM intake.batches WHERE status = 'completed'")).isEqualTo(1);
    assertThat(keys("results/")).containsExactly("results/judgments/march.csv.1.errors.csv",
        "results/judgments/march.csv.1.summary.json");
    assertThat(eventTypes()).containsExactly("batch.completed"); // the outcome was delivered: nothing more to send
  }

  @Test
  void sameEventTwiceConcurrentlyIsLoadedOnce() throws Exception {
    String event = fixture("s3-put.json", put("incoming/judgments/march.csv", rows(3000)));
    CountDownLatch go = new CountDownLatch(1);
    List<CompletableFuture<String>> runs = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      runs.add(CompletableFuture.supplyAsync(() -> {
        try {
          go.await();
          return invoke(event);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    go.countDown();
    runs.forEach(CompletableFuture::join);

    assertThat(target.judgments()).isEqualTo(3000);
    assertThat(target.count("SELECT count(*) FROM intake.batches WHERE status = 'completed'")).isEqualTo(1);
    assertThat(keys("results/")).hasSize(2);
    assertThat(eventTypes()).filteredOn("batch.completed"::equals).hasSize(1);
    assertThat(eventTypes()).containsExactly("batch.completed");
  }

  @Test
  void rejectedFileGetsItsSummaryAndErrorsAndLoadsNothing() throws Exception {
    String etag = put("incoming/judgments/march.csv", csv("C-1,Acme,Jane,1.00,2024-03-01", "C-2,Acme,John,x,2024-03-02"));

    assertThat(invoke(fixture("s3-put.json", etag))).isEqualTo("{\"outcomes\":[\"failed\"]}");

    assertThat(target.judgments()).isZero();
    var summary = Json.MAPPER.readTree(read("results/judgments/march.csv.1.summary.json"));
    assertThat(summary.path("result").path("rejection_reason").asText()).isEqualTo("error rate 50.0% > 10.0% threshold");
    assertThat(read("results/judgments/march.csv.1.errors.csv"))
        .contains(",,ERROR_RATE_EXCEEDED,error rate 50.0% > 10.0% threshold")
        .contains("3,judgment_amount,INVALID_AMOUNT");
    assertThat(sns.published()).singleElement().satisfies(p ->
        assertThat(p.attributes()).containsEntry("event_type", "batch.rejected").containsEntry("status", "failed"));
  }

  @Test
  void gzipInputIsStreamedThroughTheSamePipeline() throws Exception {
    String etag = put("incoming/judgments/march.csv.gz", gzip(rows(50).getBytes(StandardCharsets.UTF_8)));

    invoke(fixture("s3-put.json", etag).replace("march.csv", "march.csv.gz"));

    assertThat(target.judgments()).isEqualTo(50);
    assertThat(target.batch(1).bytesRead()).isEqualTo(rows(50).length()); // decompressed bytes were hashed
  }

  @Test
  void gzipBombStopsAtTheDecompressedCapWithFileTooLarge() throws Exception {
    db.jdbi().useHandle(h -> h.execute("UPDATE intake.source_profiles SET max_file_bytes = 1000000 WHERE name = 'judgments'"));
    byte[] bomb = gzip((HEADER + "\n" + "C-1,Acme,Jane,1.00,2024-03-01,".repeat(1) + "x".repeat(200_000_000))
        .getBytes(StandardCharsets.UTF_8));
    assertThat(bomb.length).isLessThan(1_000_000); // small on the wire, 200 MB inflated
    String etag = put("incoming/judgments/bomb.csv.gz", bomb);

    invoke(fixture("s3-put.json", etag).replace("march.csv", "bomb.csv.gz"));

    var batch = target.batch(1);
    assertThat(batch.status()).isEqualTo("failed");
    assertThat(batch.rejectionReason()).startsWith("FILE_TOO_LARGE: ");
    assertThat(batch.bytesRead()).isLessThanOrEqualTo(1_000_000L + (1 << 16)); // stopped at the cap
  }

  @Test
  void corruptGzipIsRejectedNotRetried() throws Exception {
    String etag = put("incoming/judgments/broken.csv.gz", "this is not gzip at all".getBytes(StandardCharsets.UTF_8));

    invoke(fixture("s3-put.json", etag).replace("march.csv", "broken.csv.gz"));

    assertThat(target.batch(1).rejectionReason()).startsWith("MALFORMED_CSV: the .gz file is not valid gzip");
  }

  @Test
  void objectOverTheSizeLimitIsRejectedBeforeItIsRead() throws Exception {
    db.jdbi().useHandle(h -> h.execute("UPDATE intake.source_profiles SET max_file_bytes = 100 WHERE name = 'judgments'"));
    String etag = put("incoming/judgments/march.csv", rows(20));

    invoke(fixture("s3-put.json", etag));

    var batch = target.batch(1);
    assertThat(batch.rejectionReason()).startsWith("FILE_TOO_LARGE: the object is ");
    assertThat(batch.bytesRead()).isZero();
    assertThat(keys("results/")).hasSize(2);
    assertThat(eventTypes()).containsExactly("batch.rejected");
  }

  @Test
  void unknownSourceAndKeysOutsideIncomingAreRefusedUnreadWithAReason() throws Exception {
    String etag = put("incoming/nobody/march.csv", rows(1));
    put("elsewhere/judgments/march.csv", rows(1));
    put("incoming/judgments/../judgments/x.csv", rows(1));

    invoke(fixture("s3-put.json", etag).replace("incoming/judgments/march.csv", "incoming/nobody/march.csv"));
    invoke(fixture("s3-put.json", etag).replace("incoming/judgments/march.csv", "elsewhere/judgments/march.csv"));
    invoke(fixture("s3-put.json", etag).replace("incoming/judgments/march.csv", "incoming/judgments/../judgments/x.csv"));

    List<String> codes = db.jdbi().withHandle(h -> h.createQuery("SELECT code FROM intake.refused_objects ORDER BY id")
        .mapTo(String.class).list());
    assertThat(codes).containsExactly("UNKNOWN_SOURCE", "INVALID_KEY", "INVALID_KEY");
    assertThat(target.count("SELECT count(*) FROM intake.batches")).isZero();
    assertThat(keys("results/")).isEmpty();
    assertThat(sns.published()).isEmpty();
  }

  @Test
  void keyWithANulIsRefusedAndRecordedPercentEncoded_notRetriedIntoTheDeadLetterQueue() throws Exception {
    String event = fixture("s3-put-nul-key.json", "0123456789abcdef0123456789abcdef"); // never read: no object needed

    assertThat(invoke(event)).isEqualTo("{\"outcomes\":[\"skipped\"]}"); // no exception: Lambda does not retry

    var refused = db.jdbi().withHandle(h -> h.createQuery("SELECT object_key, code FROM intake.refused_objects")
        .map((rs, ctx) -> rs.getString("object_key") + " " + rs.getString("code")).list());
    assertThat(refused).containsExactly("incoming/judgments/march%00.csv INVALID_KEY");
    assertThat(target.count("SELECT count(*) FROM intake.batches")).isZero();
  }

  @Test
  void eventFromAnotherBucketIsRefusedUnreadAndRecorded_notRetried() throws Exception {
    String etag = put("incoming/judgments/march.csv", rows(1)); // the same key in the configured bucket
    String event = fixture("s3-put.json", etag).replace("\"name\": \"" + BUCKET + "\"", "\"name\": \"vendor-other-bucket\"");

    assertThat(invoke(event)).isEqualTo("{\"outcomes\":[\"skipped\"]}"); // no exception: Lambda does not retry

    var refused = db.jdbi().withHandle(h -> h.createQuery("SELECT bucket, object_key, code, reason FROM intake.refused_objects")
        .map((rs, ctx) -> List.of(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4))).list());
    assertThat(refused).containsExactly(List.of("vendor-other-bucket", "incoming/judgments/march.csv", "WRONG_BUCKET",
        "the event is for bucket 'vendor-other-bucket', but this function ingests bucket '" + BUCKET + "' (INTAKE_BUCKET);"
            + " nothing was read; point that bucket's notifications at its own intake function, or correct INTAKE_BUCKET"));
    assertThat(target.count("SELECT count(*) FROM intake.batches")).isZero();
    assertThat(keys("results/")).isEmpty();
    assertThat(sns.published()).isEmpty();
  }

  @Test
  void printableKeyPercentEncodesControlCharactersOnly() {
    assertThat(IntakeService.printable("a\tb\u007fc\u0000%41 é")).isEqualTo("a%09b%7Fc%00%41 é");
    assertThat(IntakeService.printable("incoming/judgments/March 2026.csv")).isEqualTo("incoming/judgments/March 2026.csv");
  }

  @Test
  void objectDeletedBeforeItIsReadIsAFailedBatchNotACrashLoop() throws Exception {
    String event = fixture("s3-put.json", put("incoming/judgments/march.csv", rows(2)));
    s3.deleteObject(b -> b.bucket(BUCKET).key("incoming/judgments/march.csv"));

    assertThat(invoke(event)).isEqualTo("{\"outcomes\":[\"failed\"]}");
    assertThat(invoke(event)).isEqualTo("{\"outcomes\":[\"duplicate\"]}");

    assertThat(target.batch(1).rejectionReason()).startsWith("OBJECT_NOT_FOUND: the object was deleted");
    assertThat(eventTypes()).containsExactly("batch.failed");
  }

  @Test
  void redriveRunsAReleasedBatchFromItsObjectAndIgnoresACompletedOne() throws Exception {
    String etag = put("incoming/judgments/march.csv", rows(4));
    // as the sentinel leaves a stuck batch: released to uploaded, nothing loaded
    long id = db.jdbi().withHandle(h -> h.createQuery("""
            INSERT INTO intake.batches (source, object_key, object_version, status, error_threshold_percent)
            VALUES ('judgments', 'incoming/judgments/march.csv', :version, 'uploaded', 10) RETURNING id""")
        .bind("version", "etag:" + etag).mapTo(Long.class).one());
    String redrive = fixture("sns-redrive.json").replace("__BATCH_ID__", Long.toString(id));

    assertThat(invoke(redrive)).isEqualTo("{\"outcomes\":[\"completed\"]}");
    assertThat(target.batch(id).status()).isEqualTo("completed");
    assertThat(target.batch(id).attempt()).isEqualTo(2);
    assertThat(target.judgments()).isEqualTo(4);

    assertThat(invoke(redrive)).isEqualTo("{\"outcomes\":[\"skipped\"]}");
    assertThat(eventTypes()).containsExactly("batch.completed");
    assertThat(keys("results/")).hasSize(2);
  }

  @Test
  void aFileUnderDryRunIsValidatedAndReportedButNotLoaded() throws Exception {
    String key = "incoming/judgments/dry-run/march.csv";
    String etag = put(key, csv("C-1,Acme,Jane,1.00,2024-03-01", "C-2,Acme,John,x,2024-03-02"));

    assertThat(invoke(fixture("s3-put.json", etag).replace("incoming/judgments/march.csv", key)))
        .isEqualTo("{\"outcomes\":[\"failed\"]}");

    assertThat(target.judgments()).isZero();
    assertThat(target.batch(1).dryRun()).isTrue();
    var summary = Json.MAPPER.readTree(read("results/judgments/dry-run/march.csv.1.summary.json"));
    assertThat(summary.path("result").path("dry_run").asBoolean()).isTrue();
    assertThat(summary.path("result").path("rejection_reason").asText()).isEqualTo("error rate 50.0% > 10.0% threshold");

    String clean = put(key, csv("C-1,Acme,Jane,1.00,2024-03-01"));
    assertThat(invoke(fixture("s3-put.json", clean).replace("incoming/judgments/march.csv", key)))
        .isEqualTo("{\"outcomes\":[\"completed\"]}");
    assertThat(target.judgments()).isZero();
    assertThat(Json.MAPPER.readTree(read("results/judgments/dry-run/march.csv.2.summary.json"))
        .path("result").path("rows_inserted").asLong()).isEqualTo(1); // what a real upload would insert
  }

  @Test
  void s3TestEventIsIgnored() throws Exception {
    assertThat(invoke(fixture("s3-test-event.json"))).isEqualTo("{\"outcomes\":[]}");
  }

  @Test
  void unreadableEventsAreDroppedNotRetriedAndOwnBatchEventsIgnored() throws Exception {
    assertThat(invoke("{\"something\": \"else\"}")).isEqualTo("{\"outcomes\":[],\"dropped\":true}");
    assertThat(invoke("not json")).isEqualTo("{\"outcomes\":[],\"dropped\":true}");
    String ownEvent = fixture("sns-redrive.json").replace("{\\\"type\\\": \\\"redrive\\\", \\\"batch_id\\\": __BATCH_ID__}",
        "{\\\"event_type\\\": \\\"batch.completed\\\", \\\"batch\\\": {}}");
    assertThat(ownEvent).contains("batch.completed");
    assertThat(invoke(ownEvent)).isEqualTo("{\"outcomes\":[]}");
    assertThat(target.count("SELECT count(*) FROM intake.batches")).isZero();
  }

  @Test
  void databaseFailurePropagatesSoLambdaRetries() throws Exception {
    String event = fixture("s3-put.json", put("incoming/judgments/march.csv", rows(2)));
    Database down = Database.connect(dev.dragonfly.intake.DatabaseUrl.parse("postgresql://nobody@127.0.0.1:1/none"));
    IntakeService broken = new IntakeService(new IntakePipeline(down, IntakeConfig.defaults(), Clock.systemUTC()), down,
        s3, BUCKET, new ResultsWriter(s3, BUCKET, down), new EventPublisher(LocalS3.sns(sns), TOPIC),
        new BatchMetrics("DragonflyIntake", System.out, Clock.systemUTC()));
    IntakeHandler failing = new IntakeHandler(() -> broken);

    assertThatThrownBy(() -> failing.handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)),
        new ByteArrayOutputStream(), null)).isInstanceOf(RuntimeException.class);
    assertThat(sns.published()).isEmpty();
  }

  @Test
  void seededSsnsAndCardNumbersLeaveNoTraceInAnyLogLine() throws Exception {
    String file = csv("C-1,Acme,Jane,1.00,2024-03-01", "C-2,Acme 000-12-3456,Jane,1.00,2024-03-01",
        "C-3,Acme,\"4111 1111 1111 1111\",1.00,2024-03-01", "C-4,Acme,Jane,4111111111111111,2024-03-01",
        "C-5,Acme,Jane,000123456,2024-03-01") ;
    String event = fixture("s3-put.json", put("incoming/judgments/march.csv", file))
        .replace("incoming/judgments/march.csv", "incoming/judgments/march.csv");
    PrintStream original = System.err;
    var captured = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      var out = new ByteArrayOutputStream();
      handler.handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)), out,
          new FakeContext("req-pii-1"));
    } finally {
      System.setErr(original);
    }
    String logs = captured.toString(StandardCharsets.UTF_8);

    assertThat(logs).contains("request_id=req-pii-1").contains("batch_id=1").contains("source=judgments")
        .contains("content_sha256=");
    for (String needle : List.of("000-12-3456", "000123456", "4111 1111 1111 1111", "4111111111111111")) {
      assertThat(logs).doesNotContain(needle);
      assertThat(sns.published()).allSatisfy(p -> assertThat(p.message()).doesNotContain(needle));
      assertThat(read("results/judgments/march.csv.1.errors.csv")).doesNotContain(needle);
    }
  }

  @Test
  void theRuntimeWiringConnectsOnFirstUseReusesThePoolAndRecoversFromBrokenConnections() throws Exception {
    String url = dev.dragonfly.intake.TestDatabase.jdbcUrl(db);
    var config = FunctionConfig.fromEnv(java.util.Map.of("DATABASE_URL", url, "INTAKE_BUCKET", BUCKET,
        "EVENTS_TOPIC_ARN", TOPIC));
    var deadConfig = FunctionConfig.fromEnv(java.util.Map.of("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none",
        "INTAKE_BUCKET", BUCKET, "EVENTS_TOPIC_ARN", TOPIC));
    new IntakeHandler(deadConfig, s3, LocalS3.sns(sns)); // constructing connects to nothing (SnapStart-safe)
    var runtime = new IntakeHandler(config, s3, LocalS3.sns(sns));
    String first = fixture("s3-put.json", put("incoming/judgments/march.csv", rows(2)));
    String second = fixture("s3-put.json", put("incoming/judgments/april.csv", csv("A-1,Acme,Jane,1.00,2024-03-01")))
        .replace("march.csv", "april.csv");

    assertThat(runInvocation(runtime, first)).isEqualTo("{\"outcomes\":[\"completed\"]}");
    long killed = db.jdbi().withHandle(h -> h.createQuery("""
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()""").mapTo(Long.class).one());
    assertThat(killed).as("the pool kept its connections between invocations").isPositive();
    assertThat(runInvocation(runtime, second)).isEqualTo("{\"outcomes\":[\"completed\"]}");

    assertThat(target.judgments()).isEqualTo(3);
  }

  private static String runInvocation(IntakeHandler h, String event) throws IOException {
    var out = new ByteArrayOutputStream();
    h.handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)), out, new FakeContext("req"));
    return out.toString(StandardCharsets.UTF_8);
  }

  static byte[] gzip(byte[] data) throws IOException {
    var out = new ByteArrayOutputStream();
    try (var gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }
}
