package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dragonfly.functions.LocalS3;
import dev.dragonfly.functions.SnsFake;
import dev.dragonfly.intake.Batch;
import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.Json;
import dev.dragonfly.intake.TestDatabase;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.LostEvents;
import dev.dragonfly.sentinel.check.Status;
import dev.dragonfly.sentinel.heal.Audit;
import dev.dragonfly.sentinel.heal.SentinelState;
import dev.dragonfly.sentinel.heal.SnsRedriver;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.sns.SnsClient;

/**
 * lost_events on a real S3 API (S3Proxy through the real SDK client), a real migrated
 * PostgreSQL and re-drives published through the real SNS client to a stand-in topic.
 */
class LostEventsTest {
  private static final Duration AGE = Duration.ofMinutes(15);
  private static final String TOPIC = "arn:aws:sns:us-east-1:000000000000:intake-events";
  private static final AtomicInteger NEXT = new AtomicInteger();
  private static LocalS3 local;

  private final Database db = TestDatabase.fresh();
  private final String bucket = "intake-" + NEXT.incrementAndGet();
  private final S3Client s3 = local.client();
  private final SnsFake sns = newSnsFake();
  private final SnsClient snsClient = LocalS3.sns(sns);

  @BeforeAll
  static void startS3() throws Exception {
    local = new LocalS3();
  }

  @AfterAll
  static void stopS3() throws Exception {
    local.close();
  }

  @BeforeEach
  void createBucket() {
    s3.createBucket(b -> b.bucket(bucket));
  }

  @AfterEach
  void closeClients() {
    snsClient.close();
    sns.close();
    s3.close();
  }

  private static SnsFake newSnsFake() {
    try {
      return new SnsFake();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The real client, counting what the check asked S3 (list requests, keys each listing
   * returned, HEADs) and optionally holding each HEAD's caller at a hook: an SDK client
   * decorator, not a mock; every call goes to S3Proxy.
   */
  static final class CountingS3 implements S3Client {
    private final S3Client real;
    final List<List<String>> listings = new CopyOnWriteArrayList<>();
    final List<String> heads = new CopyOnWriteArrayList<>();
    volatile Runnable afterHead = () -> { };

    CountingS3(S3Client real) {
      this.real = real;
    }

    @Override public ListObjectsV2Response listObjectsV2(ListObjectsV2Request request) {
      ListObjectsV2Response response = real.listObjectsV2(request);
      listings.add(response.contents().stream().map(S3Object::key).toList());
      return response;
    }

    @Override public HeadObjectResponse headObject(HeadObjectRequest request) {
      HeadObjectResponse response = real.headObject(request);
      heads.add(request.key());
      afterHead.run();
      return response;
    }

    List<String> listedKeys() {
      return listings.stream().flatMap(List::stream).toList();
    }

    void reset() {
      listings.clear();
      heads.clear();
    }

    @Override public String serviceName() {
      return real.serviceName();
    }

    @Override public void close() {}
  }

  private LostEvents check(S3Client client, LostEvents.Limits limits, String instance) {
    return new LostEvents(db.jdbi(), Optional.of(client), Optional.of(bucket), limits,
        new SnsRedriver(snsClient, TOPIC), new Audit(instance), new SentinelState(db.jdbi()));
  }

  private LostEvents check(S3Client client) {
    return check(client, new LostEvents.Limits(AGE, 5, 1000, 50), "sentinel-a");
  }

  /** Puts an object and returns its LastModified as a listing reports it (what the check compares). */
  private Instant put(String key) {
    s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString("case_number\nC-1\n"));
    return s3.listObjectsV2(b -> b.bucket(bucket).prefix(key)).contents().get(0).lastModified();
  }

  private String etag(String key) {
    return s3.headObject(b -> b.bucket(bucket).key(key)).eTag().replace("\"", "");
  }

  private void recordBatch(String key, String version, Instant createdAt) {
    db.jdbi().useHandle(h -> h.createUpdate("""
            INSERT INTO intake.batches (source, object_key, object_version, status, error_threshold_percent,
                                        rejection_reason, created_at, finished_at)
            VALUES ('judgments', :key, :version, 'failed', 10, 'too many invalid rows', :at, :at)""")
        .bind("key", key).bind("version", version).bind("at", createdAt).execute());
  }

  private List<Batch> batches() {
    return db.jdbi().withHandle(h -> h.createQuery("SELECT " + Batch.COLUMNS + " FROM intake.batches ORDER BY object_key")
        .mapTo(Batch.class).list());
  }

  private List<Audit.Entry> audit() {
    return Audit.since(db.jdbi(), Instant.EPOCH);
  }

  private List<Long> redrivenBatchIds() {
    return sns.published().stream().map(p -> {
      assertThat(p.topicArn()).isEqualTo(TOPIC);
      assertThat(p.attributes()).containsEntry("event_type", "redrive");
      var message = Json.readTree(p.message());
      assertThat(message.path("type").asText()).isEqualTo("redrive");
      return message.path("batch_id").asLong();
    }).toList();
  }

  @Test
  void objectWithNoBatchOlderThanTheAgeIsRegisteredUploadedAuditedAndRedrivenOnceThenLeftAlone() {
    String key = "incoming/judgments/2026-05-01.csv";
    Instant modified = put(key);
    Instant now = modified.plus(AGE).plusSeconds(30);
    LostEvents check = check(s3);

    CheckResult first = check.run(now);

    assertThat(first.status()).isEqualTo(Status.WARNING);
    List<Batch> batches = batches();
    assertThat(batches).hasSize(1);
    Batch batch = batches.get(0);
    assertThat(batch.source()).isEqualTo("judgments");
    assertThat(batch.objectKey()).isEqualTo(key);
    assertThat(batch.objectVersion()).isEqualTo("etag:" + etag(key)); // as the event would have named it
    assertThat(batch.status()).isEqualTo("uploaded");
    assertThat(batch.dryRun()).isFalse();
    assertThat(batch.releasedAt().toInstant()).isEqualTo(now);
    assertThat(batch.errorThresholdPercent()).isEqualByComparingTo("10");
    assertThat(batch.lastError()).isEqualTo(
        "the sentinel found this object with no batch 15 min after its upload (its S3 event was lost) and re-drove it");
    assertThat(redrivenBatchIds()).containsExactly(batch.id());
    assertThat(audit()).singleElement().satisfies(a -> {
      assertThat(a.checkName()).isEqualTo("lost_events");
      assertThat(a.subject()).isEqualTo("object " + key);
      assertThat(a.action()).isEqualTo("redrive");
      assertThat(a.instance()).isEqualTo("sentinel-a");
      assertThat(a.stateBefore()).startsWith("in S3 since ").endsWith(", 16 bytes, no batch");
      assertThat(a.stateAfter()).isEqualTo("batch " + batch.id() + " uploaded, re-driven (events topic)");
      assertThat(a.detail()).isEqualTo("etag:" + etag(key));
    });
    assertThat(first.findings()).singleElement().satisfies(f -> {
      assertThat(f.subject()).isEqualTo("object " + key);
      assertThat(f.status()).isEqualTo(Status.WARNING);
      assertThat(f.summary()).isEqualTo("object " + key + " had no batch 15 min after upload: registered as batch "
          + batch.id() + " and re-driven (events topic); see 'sentinel batch show " + batch.id() + "'");
    });

    CheckResult second = check.run(now.plusSeconds(60));

    assertThat(second.status()).isEqualTo(Status.OK);
    assertThat(second.summary())
        .isEqualTo("no lost events: 1 object(s) listed from the top of incoming/ to the end; the next pass starts from the top");
    assertThat(second.actions()).isEmpty();
    assertThat(batches()).hasSize(1);
    assertThat(audit()).hasSize(1);
    assertThat(sns.published()).hasSize(1);
  }

  @Test
  void objectWhoseEtagBatchExistsIsLeftAloneWithoutLookingItUp() {
    String key = "incoming/judgments/rejected.csv";
    Instant modified = put(key);
    recordBatch(key, "etag:" + etag(key), modified.plusSeconds(2));
    CountingS3 counting = new CountingS3(s3);

    CheckResult result = check(counting).run(modified.plus(AGE).plus(Duration.ofHours(1)));

    assertThat(result.status()).isEqualTo(Status.OK);
    assertThat(result.details()).containsEntry("with_batch", 1).containsEntry("looked_up", 0);
    assertThat(counting.heads).isEmpty();
    assertThat(batches()).hasSize(1);
    assertThat(sns.published()).isEmpty();
    assertThat(audit()).isEmpty();
  }

  /** Puts {@code key}, records a batch of it holding {@code version} created {@code sinceUpload} after it, runs a pass. */
  private CheckResult passOverObjectWithVersionBatch(String key, String version, Duration sinceUpload, S3Client client) {
    Instant modified = put(key);
    recordBatch(key, version, modified.plus(sinceUpload));
    return check(client).run(modified.plus(AGE).plus(Duration.ofHours(1)));
  }

  @Test
  void versionBatchCreatedAfterTheUploadCountsAsTheObjectsBatchWithoutAHead() {
    CountingS3 counting = new CountingS3(s3);

    CheckResult result = passOverObjectWithVersionBatch("incoming/judgments/versioned.csv", "version:3HL4kqtJlcpXroDTDmJ",
        LostEvents.CLOCK_SKEW.negated().plusSeconds(1), counting);

    assertThat(result.status()).isEqualTo(Status.OK);
    assertThat(counting.heads).isEmpty();
    assertThat(batches()).hasSize(1);
    assertThat(sns.published()).isEmpty();
  }

  @Test
  void objectWhoseOnlyBatchPredatesItsUploadIsLookedUpAndItsCurrentVersionRedriven() {
    String key = "incoming/judgments/overwritten.csv";
    CountingS3 counting = new CountingS3(s3);

    // a batch of an earlier version of the key, from before this upload
    CheckResult result = passOverObjectWithVersionBatch(key, "version:earlier",
        LostEvents.CLOCK_SKEW.negated().minusSeconds(1), counting);

    assertThat(result.status()).isEqualTo(Status.WARNING);
    assertThat(counting.heads).containsExactly(key);
    assertThat(batches()).extracting(Batch::objectVersion)
        .containsExactlyInAnyOrder("version:earlier", "etag:" + etag(key));
    assertThat(sns.published()).hasSize(1);
  }

  @Test
  void objectYoungerThanTheAgeIsLeftAloneUntilThePassClockReachesTheAge() {
    String key = "incoming/judgments/fresh.csv";
    Instant modified = put(key);
    CountingS3 counting = new CountingS3(s3);
    LostEvents check = check(counting);

    CheckResult early = check.run(modified.plus(AGE).minusSeconds(1));

    assertThat(early.status()).isEqualTo(Status.OK);
    assertThat(early.details()).containsEntry("young", 1).containsEntry("looked_up", 0);
    assertThat(counting.heads).isEmpty();
    assertThat(batches()).isEmpty();
    assertThat(sns.published()).isEmpty();

    CheckResult due = check.run(modified.plus(AGE));

    assertThat(due.status()).isEqualTo(Status.WARNING);
    assertThat(batches()).extracting(Batch::objectKey).containsExactly(key);
    assertThat(sns.published()).hasSize(1);
  }

  @Test
  void nonIntakeKeysDryRunsAndSourcesWithoutAProfileAreLeftAlone() {
    Instant modified = put("incoming/readme.csv");
    put("incoming/Not A Source/a.csv");
    put("incoming/judgments/dry-run/trial.csv");
    put("incoming/nobody/a.csv");
    put("incoming/judgments/real.csv");
    CountingS3 counting = new CountingS3(s3);

    CheckResult result = check(counting).run(modified.plus(AGE).plus(Duration.ofHours(1)));

    assertThat(result.details())
        .containsEntry("listed", 5)
        .containsEntry("not_intake_keys", 2)
        .containsEntry("dry_runs", 1)
        .containsEntry("unknown_sources", 1)
        .containsEntry("looked_up", 1);
    assertThat(counting.heads).containsExactly("incoming/judgments/real.csv");
    assertThat(batches()).extracting(Batch::objectKey).containsExactly("incoming/judgments/real.csv");
    assertThat(sns.published()).hasSize(1);
    assertThat(audit()).extracting(Audit.Entry::subject).containsExactly("object incoming/judgments/real.csv");
  }

  @Test
  void passListsAtMostPagesTimesPageSizeKeysThenTheNextPassContinuesFromTheRememberedKeyAndWrapsAtTheEnd() {
    Instant now = putNumbered(10).plus(AGE).plus(Duration.ofHours(1));
    CountingS3 counting = new CountingS3(s3);
    LostEvents check = check(counting, new LostEvents.Limits(AGE, 2, 3, 50), "sentinel-a");

    CheckResult first = check.run(now);

    assertThat(counting.listings).hasSize(2);
    assertThat(counting.listedKeys()).containsExactly(keys(0, 6));
    assertThat(batches()).extracting(Batch::objectKey).containsExactly(keys(0, 6));
    assertThat(first.details()).containsEntry("position_to", "incoming/judgments/f05.csv").containsEntry("wrapped", false);

    counting.reset();
    // a new instance, as after a restart: the position lives in the database
    CheckResult second = check(counting, new LostEvents.Limits(AGE, 2, 3, 50), "sentinel-a").run(now.plusSeconds(60));

    assertThat(counting.listedKeys()).containsExactly(keys(6, 10));
    assertThat(batches()).extracting(Batch::objectKey).containsExactly(keys(0, 10));
    assertThat(second.details()).containsEntry("position_from", "incoming/judgments/f05.csv")
        .containsEntry("wrapped", true).containsEntry("position_to", "");

    counting.reset();
    CheckResult third = check.run(now.plusSeconds(120));

    assertThat(counting.listedKeys()).containsExactly(keys(0, 6));
    assertThat(third.status()).isEqualTo(Status.OK);
    assertThat(batches()).hasSize(10);
    assertThat(redrivenBatchIds()).hasSize(10).doesNotHaveDuplicates();
  }

  @Test
  void passStopsAtTheLookUpCapAndTheNextPassResumesWithTheFirstKeyItDidNotHandle() {
    Instant now = putNumbered(5).plus(AGE).plus(Duration.ofHours(1));
    CountingS3 counting = new CountingS3(s3);
    LostEvents check = check(counting, new LostEvents.Limits(AGE, 2, 3, 2), "sentinel-a");

    CheckResult first = check.run(now);

    assertThat(counting.listings).hasSize(1); // capped within the first page: no second list request
    assertThat(counting.heads).containsExactly(keys(0, 2));
    assertThat(first.details()).containsEntry("capped", true).containsEntry("position_to", "incoming/judgments/f01.csv");

    counting.reset();
    check.run(now.plusSeconds(60));

    assertThat(counting.listedKeys()).startsWith("incoming/judgments/f02.csv");
    assertThat(counting.heads).containsExactly(keys(2, 4));

    check.run(now.plusSeconds(120));

    assertThat(batches()).extracting(Batch::objectKey).containsExactly(keys(0, 5));
    assertThat(redrivenBatchIds()).hasSize(5).doesNotHaveDuplicates();
  }

  /** Puts {@code keys(0, count)}; returns the last one's LastModified. */
  private Instant putNumbered(int count) {
    Instant modified = Instant.EPOCH;
    for (String key : keys(0, count)) modified = put(key);
    return modified;
  }

  private static String[] keys(int from, int to) {
    String[] keys = new String[to - from];
    for (int i = from; i < to; i++) keys[i - from] = String.format("incoming/judgments/f%02d.csv", i);
    return keys;
  }

  @Test
  void twoSentinelsThatBothSawTheObjectWithoutABatchRegisterAuditAndRedriveItOnce() throws Exception {
    String key = "incoming/judgments/contested.csv";
    Instant now = put(key).plus(AGE).plus(Duration.ofHours(1));
    // both HEAD the object only after their batch query found nothing; holding each there until
    // the other arrives puts both at the INSERT having seen the object lost
    CyclicBarrier bothLookedUp = new CyclicBarrier(2);
    Runnable meet = () -> {
      try {
        bothLookedUp.await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("the other sentinel never looked the object up", e);
      }
    };
    CountingS3 a = new CountingS3(s3);
    CountingS3 b = new CountingS3(s3);
    a.afterHead = meet;
    b.afterHead = meet;
    LostEvents first = check(a, new LostEvents.Limits(AGE, 5, 1000, 50), "sentinel-a");
    LostEvents second = check(b, new LostEvents.Limits(AGE, 5, 1000, 50), "sentinel-b");

    var runA = CompletableFuture.supplyAsync(() -> first.run(now));
    var runB = CompletableFuture.supplyAsync(() -> second.run(now));
    CheckResult resultA = runA.get(30, TimeUnit.SECONDS);
    CheckResult resultB = runB.get(30, TimeUnit.SECONDS);

    assertThat(a.heads).containsExactly(key);
    assertThat(b.heads).containsExactly(key);
    assertThat(List.of(resultA.actions().size(), resultB.actions().size())).containsExactlyInAnyOrder(1, 0);
    assertThat(List.of(resultA.status(), resultB.status())).containsExactlyInAnyOrder(Status.WARNING, Status.OK);
    assertThat(batches()).hasSize(1);
    assertThat(audit()).hasSize(1);
    assertThat(redrivenBatchIds()).containsExactly(batches().get(0).id());
  }

  @Test
  void failedRedriveHandOffLeavesNoBatchNoAuditAndTheNextPassHealsTheObject() {
    String key = "incoming/judgments/topic-down.csv";
    Instant now = put(key).plus(AGE).plus(Duration.ofHours(1));
    LostEvents check = check(s3);
    sns.down(true);

    assertThatThrownBy(() -> check.run(now));

    assertThat(sns.refused()).isPositive();
    assertThat(batches()).isEmpty();
    assertThat(audit()).isEmpty();

    sns.down(false);
    CheckResult retried = check.run(now.plusSeconds(60));

    assertThat(retried.status()).isEqualTo(Status.WARNING);
    assertThat(batches()).hasSize(1);
    assertThat(audit()).hasSize(1);
    assertThat(redrivenBatchIds()).containsExactly(batches().get(0).id());
  }

  @Test
  void withoutBucketOrS3ClientTheCheckIsSkippedSayingToSetIntakeBucket() {
    var limits = new LostEvents.Limits(AGE, 5, 1000, 50);
    var redriver = new SnsRedriver(snsClient, TOPIC);
    CheckResult noBucket = new LostEvents(db.jdbi(), Optional.of(s3), Optional.empty(), limits, redriver,
        new Audit("sentinel-a"), new SentinelState(db.jdbi())).run(Instant.now());
    CheckResult noClient = new LostEvents(db.jdbi(), Optional.empty(), Optional.of(bucket), limits, redriver,
        new Audit("sentinel-a"), new SentinelState(db.jdbi())).run(Instant.now());

    CheckResult expected = CheckResult.skipped("lost_events",
        "set INTAKE_BUCKET to the intake bucket to find objects whose S3 event was lost");
    assertThat(noBucket).isEqualTo(expected);
    assertThat(noClient).isEqualTo(expected);
    assertThat(expected.status()).isEqualTo(Status.SKIPPED);
  }

  @Test
  void sentinelBuiltFromTheEnvironmentRunsLostEventsOnTheConfiguredBucketAndAge() {
    String key = "incoming/judgments/wired.csv";
    Instant modified = put(key);
    SentinelConfig config = SentinelConfig.fromEnv(Map.of(
        "DATABASE_URL", TestDatabase.jdbcUrl(db), "INTAKE_BUCKET", bucket, "EVENTS_TOPIC_ARN", TOPIC,
        "SENTINEL_LOST_EVENTS_AGE", "5m", "SENTINEL_INSTANCE", "wired"));
    java.time.Clock clock = java.time.Clock.fixed(modified.plus(Duration.ofMinutes(5)), ZoneOffset.UTC);

    try (var built = SentinelFactory.build(config, db, clock,
        new SentinelFactory.Clients(Optional.of(s3), Optional.of(snsClient)))) {
      CheckResult result = built.sentinel().runOnce(clock.instant()).check("lost_events");

      assertThat(result.status()).isEqualTo(Status.WARNING);
      assertThat(result.details()).containsEntry("age_seconds", 300L).containsEntry("page_size", 1000);
    }
    assertThat(batches()).extracting(Batch::objectKey).containsExactly(key);
    assertThat(audit()).extracting(Audit.Entry::instance).containsExactly("wired");
  }
}
