package dev.dragonfly.sentinel;

import dev.dragonfly.functions.LocalS3;
import dev.dragonfly.sentinel.alert.Sleeper;
import java.util.Optional;
import software.amazon.awssdk.services.s3.S3Client;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dragonfly.functions.SnsFake;
import dev.dragonfly.functions.VersionedS3;
import dev.dragonfly.intake.Batch;
import dev.dragonfly.intake.BatchCounts;
import dev.dragonfly.intake.BatchStore;
import dev.dragonfly.intake.Fixtures;
import dev.dragonfly.intake.Json;
import dev.dragonfly.intake.KilledWorker;
import dev.dragonfly.intake.Target;
import dev.dragonfly.intake.TestDatabase;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.Status;
import dev.dragonfly.sentinel.check.StuckBatches;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** stuck_batches end to end: a real worker killed mid-file, re-drives, the force-fail, the audit. */
class StuckBatchesTest {
  private final SentinelFixture f = new SentinelFixture();
  private final SnsFake sns = newSns();

  private static SnsFake newSns() {
    try {
      return new SnsFake();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterEach
  void stopSns() {
    sns.close();
  }

  /** A batch a worker holds, its last heartbeat at {@code heartbeat}. */
  private long processing(String key, Instant heartbeat) {
    return f.db.jdbi().withHandle(h -> h.createQuery("""
            INSERT INTO intake.batches (source, object_key, object_version, status, owner_token, heartbeat_at,
                                        started_at, error_threshold_percent)
            VALUES ('judgments', :key, 'v1', 'staging', gen_random_uuid(), :hb, :hb, 10) RETURNING id""")
        .bind("key", key).bind("hb", heartbeat).mapTo(Long.class).one());
  }

  /** As the ingest function does on a re-drive: claims the batch (a new attempt), then dies at once. */
  private void claimedAndDiedAgain(long id) {
    f.db.jdbi().useHandle(h -> h.createUpdate("""
            UPDATE intake.batches SET status = 'staging', attempt = attempt + 1, owner_token = gen_random_uuid(),
                   heartbeat_at = :now WHERE id = :id AND status = 'uploaded'""")
        .bind("now", f.clock.instant()).bind("id", id).execute());
  }

  private List<Long> redriveMessages() {
    List<Long> ids = new ArrayList<>();
    for (SnsFake.Publish p : sns.published()) {
      assertThat(p.topicArn()).isEqualTo(SentinelFixture.TOPIC);
      assertThat(p.attributes()).containsEntry("event_type", "redrive");
      JsonNode body = Json.readTree(p.message());
      assertThat(body.path("type").asText()).isEqualTo("redrive");
      ids.add(body.path("batch_id").asLong());
    }
    return ids;
  }

  private Batch batch(long id) {
    return new BatchStore(f.db.jdbi()).require(id);
  }

  @Test
  void workerKilledMidFileIsReDrivenByTheFirstPassAfterTheStaleWindowAndCompletesWithExactCounts(@TempDir Path dir)
      throws Exception {
    Path input = dir.resolve("killed.csv");
    List<String> rows = new ArrayList<>();
    for (int i = 1; i <= 100; i++) rows.add(Fixtures.row("C-" + i, i % 10 == 0 ? "bad" : i + ".00"));
    Files.writeString(input, Fixtures.csv(rows.toArray(String[]::new)));
    KilledWorker.killMidFile(TestDatabase.jdbcUrl(f.db), input); // heartbeat last beat at Fixtures.CLOCK
    assertThat(batch(1).status()).isEqualTo("staging");

    try (SentinelFactory.Built sentinel = f.local(Map.of())) {
      f.clock.advance(Duration.ofSeconds(44)); // inside the 45 s stale window: the worker may be alive
      CheckResult early = sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME);
      assertThat(early.status()).isEqualTo(Status.OK);
      assertThat(batch(1).status()).isEqualTo("staging");

      f.clock.advance(Duration.ofSeconds(2)); // 46 s of silence
      CheckResult healed = sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME);
      sentinel.localRedriver().orElseThrow().awaitQueued(Duration.ofSeconds(60));

      assertThat(healed.status()).isEqualTo(Status.WARNING);
      assertThat(healed.summary()).contains("batch 1 re-driven", "re-drive 1 of 3");
      assertThat(healed.actions()).singleElement().satisfies(a -> {
        assertThat(a.action()).isEqualTo("redrive");
        assertThat(a.stateBefore()).startsWith("staging, attempt 1, heartbeat silent for 46 s");
      });
    }
    Batch done = batch(1);
    assertThat(done.status()).isEqualTo("completed");
    assertThat(done.attempt()).isEqualTo(2);
    assertThat(new BatchCounts(done.rowsTotal(), done.rowsValid(), done.rowsInvalid(), done.rowsInserted(),
        done.rowsUpdated(), done.rowsUnchanged())).isEqualTo(new BatchCounts(100, 90, 10, 90, 0, 0));
    assertThat(new Target(f.db).judgments()).isEqualTo(90);
    assertThat(f.count("SELECT count(*) FROM intake.sentinel_audit WHERE subject = 'batch 1' AND action = 'redrive'"))
        .isEqualTo(1);
    // the batch's attempts: the killed one given back by the sentinel, the re-drive it asked for completed
    assertThat(f.count("SELECT count(*) FROM intake.batch_attempts WHERE batch_id = 1 AND attempt = 1 AND outcome = 'given back'"))
        .isEqualTo(1);
    assertThat(f.count("""
        SELECT count(*) FROM intake.batch_attempts
         WHERE batch_id = 1 AND attempt = 2 AND requested_by = 'sentinel test-sentinel' AND outcome = 'completed'
           AND reason LIKE 'the sentinel re-drove it (staging, attempt 1, %'""")).isEqualTo(1);
  }

  @Test
  void batchThatKeepsDyingIsReDrivenThreeTimesThenForceFailedWithAReasonNamingTheReDrives() {
    long id = processing("incoming/judgments/dying.csv", f.clock.instant());
    List<Instant> redriveTimes = new ArrayList<>();
    try (SentinelFactory.Built sentinel = f.withTopic(Map.of(), sns)) {
      for (int redrive = 1; redrive <= 3; redrive++) {
        f.clock.advance(Duration.ofSeconds(46));
        CheckResult r = sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME);
        assertThat(r.status()).as("re-drive %d", redrive).isEqualTo(Status.WARNING);
        assertThat(r.summary()).contains("re-drive " + redrive + " of 3");
        redriveTimes.add(f.clock.instant());
        assertThat(batch(id).status()).isEqualTo("uploaded");
        claimedAndDiedAgain(id);
      }
      f.clock.advance(Duration.ofSeconds(46));
      CheckResult failed = sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME);

      assertThat(failed.status()).isEqualTo(Status.CRITICAL);
      assertThat(failed.summary()).contains("batch " + id + " force-failed after 3 re-drives");
    }
    Batch b = batch(id);
    assertThat(b.status()).isEqualTo("failed");
    assertThat(b.attempt()).isEqualTo(4);
    assertThat(b.rejectionReason()).contains("re-driven 3 time(s) by the sentinel")
        .contains(redriveTimes.get(0).toString(), redriveTimes.get(1).toString(), redriveTimes.get(2).toString())
        .contains("sentinel batch reingest " + id);
    assertThat(redriveMessages()).containsExactly(id, id, id);
    assertThat(f.count("SELECT count(*) FROM intake.sentinel_audit WHERE action = 'redrive'")).isEqualTo(3);
    assertThat(f.count("SELECT count(*) FROM intake.sentinel_audit WHERE action = 'force_fail'")).isEqualTo(1);

    // failed: no longer re-driven, but reported CRITICAL (its rows are not loaded) until re-ingested, for a day at most
    try (SentinelFactory.Built sentinel = f.withTopic(Map.of(), sns)) {
      f.clock.advance(Duration.ofMinutes(5));
      CheckResult later = sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME);
      assertThat(later.status()).isEqualTo(Status.CRITICAL);
      assertThat(later.actions()).isEmpty();
      assertThat(later.summary()).contains("batch " + id + " was force-failed at ")
          .contains("is still failed: its rows are not loaded; fix the cause, then run 'sentinel batch reingest " + id + " --reason R'");
      f.clock.advance(Duration.ofHours(24));
      assertThat(sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME).status()).isEqualTo(Status.OK);
    }
    assertThat(redriveMessages()).containsExactly(id, id, id);
  }

  @Test
  void anOperatorsReingestOfAForceFailedBatchGivesItThreeReDrivesAgain() {
    long id = processing("incoming/judgments/again.csv", f.clock.instant());
    try (SentinelFactory.Built sentinel = f.withTopic(Map.of("SENTINEL_MAX_REDRIVES", "1"), sns)) {
      f.clock.advance(Duration.ofSeconds(46));
      sentinel.sentinel().runOnce(f.clock.instant()); // re-drive 1 of 1
      claimedAndDiedAgain(id);
      f.clock.advance(Duration.ofSeconds(46));
      sentinel.sentinel().runOnce(f.clock.instant()); // force-failed
      assertThat(batch(id).status()).isEqualTo("failed");

      new BatchStore(f.db.jdbi(), f.clock).releaseForReingest(id, "cause fixed", Duration.ofSeconds(45));
      f.clock.advance(Duration.ofSeconds(46));
      CheckResult r = sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME);

      assertThat(r.summary()).contains("batch " + id + " re-driven", "re-drive 1 of 1").doesNotContain("was force-failed");
      assertThat(r.status()).isEqualTo(Status.WARNING); // the re-ingest ended the force-fail's CRITICAL
    }
    assertThat(batch(id).status()).isEqualTo("uploaded");
    assertThat(redriveMessages()).containsExactly(id, id);
  }

  @Test
  void uploadedBatchNobodyClaimedIsReDrivenOnlyAfterTheStaleWindow() {
    long id = processing("incoming/judgments/orphan.csv", f.clock.instant().minus(Duration.ofHours(1)));
    new BatchStore(f.db.jdbi(), f.clock).releaseForReingest(id, "operator reset", Duration.ofSeconds(45));
    try (SentinelFactory.Built sentinel = f.withTopic(Map.of(), sns)) {
      f.clock.advance(Duration.ofSeconds(44));
      assertThat(sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME).status()).isEqualTo(Status.OK);
      assertThat(sns.published()).isEmpty();

      f.clock.advance(Duration.ofSeconds(2));
      CheckResult r = sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME);

      assertThat(r.status()).isEqualTo(Status.WARNING);
      assertThat(r.findings()).singleElement().satisfies(x -> assertThat(x.summary())
          .contains("uploaded and unclaimed for 46 s"));
    }
    assertThat(redriveMessages()).containsExactly(id);
    assertThat(batch(id).redrives()).isEqualTo(1);
  }

  @Test
  void batchGivenBackAfterAFailureIsReDrivenOnceNobodyClaimedItWithinTheWindow() {
    var store = new BatchStore(f.db.jdbi(), f.clock);
    long id = f.db.jdbi().inTransaction(h -> {
      var claim = (dev.dragonfly.intake.Claim.Claimed) store.claim(h, Fixtures.ref("incoming/judgments/released.csv"),
          java.math.BigDecimal.TEN, Duration.ofSeconds(45));
      store.release(h, claim, "database error 57P01: terminating connection");
      return claim.batchId();
    });
    try (SentinelFactory.Built sentinel = f.withTopic(Map.of(), sns)) {
      f.clock.advance(Duration.ofSeconds(44));
      assertThat(sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME).status()).isEqualTo(Status.OK);
      f.clock.advance(Duration.ofSeconds(2));
      assertThat(sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME).status()).isEqualTo(Status.WARNING);
    }
    assertThat(redriveMessages()).containsExactly(id);
  }

  @Test
  void aBatchWhoseInProcessReDriveIsStillRunningIsNotReDrivenAgain(@TempDir Path dir) throws Exception {
    Path input = dir.resolve("slow.csv");
    Files.writeString(input, Fixtures.csv(Fixtures.row("C-1")));
    long id = processing(input.toString(), f.clock.instant());
    var claimed = new java.util.concurrent.CountDownLatch(1);
    var resume = new java.util.concurrent.CountDownLatch(1);
    // leases on the test's clock, so that the re-drive's own claim goes silent when the clock moves
    var pipeline = dev.dragonfly.intake.TestPipelines.pausedAfterClaim(f.db, dev.dragonfly.intake.IntakeConfig.defaults(),
        f.clock, f.clock, claimed, resume);
    try (var redriver = new dev.dragonfly.sentinel.heal.LocalRedriver(pipeline, java.util.Optional.empty(),
        java.util.Optional.empty())) {
      var check = new StuckBatches(f.db.jdbi(), Duration.ofSeconds(45), 3, redriver,
          new dev.dragonfly.sentinel.heal.Audit("test-sentinel"));
      f.clock.advance(Duration.ofSeconds(46));
      assertThat(check.run(f.clock.instant()).actions()).hasSize(1);
      assertThat(claimed.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("the re-drive claimed the batch").isTrue();
      f.clock.advance(Duration.ofMinutes(2)); // its claim's heartbeat is silent now too: it is still starting
      assertThat(batch(id).status()).as("claimed by the re-drive, and silent").isEqualTo("staging");
      CheckResult second = check.run(f.clock.instant());

      assertThat(second.status()).isEqualTo(Status.OK);
      assertThat(batch(id).redrives()).isEqualTo(1);
      resume.countDown();
      redriver.awaitQueued(Duration.ofSeconds(30));
    }
    assertThat(batch(id).status()).isEqualTo("completed");
  }

  /**
   * As the ingest function records a deleted object (OBJECT_NOT_FOUND, once, no page), so does
   * the in-process re-drive: not given back, re-driven three times and force-failed CRITICAL.
   */
  @Test
  void anInProcessReDriveOfADeletedS3ObjectFailsTheBatchOnceAsObjectNotFound() throws Exception {
    long id = processing("incoming/judgments/deleted.csv", f.clock.instant());
    try (LocalS3 local = new LocalS3(); S3Client s3 = local.client()) {
      s3.createBucket(b -> b.bucket("intake")); // the object was deleted from it after the claim
      try (SentinelFactory.Built sentinel = SentinelFactory.build(f.config(Map.of("INTAKE_BUCKET", "intake")), f.db, f.clock,
          f.clock, new SentinelFactory.Clients(Optional.of(s3), Optional.empty()), Sleeper.REAL)) {
        f.clock.advance(Duration.ofSeconds(46));
        CheckResult first = sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME);
        assertThat(first.status()).isEqualTo(Status.WARNING);
        assertThat(first.summary()).contains("batch " + id + " re-driven");
        sentinel.localRedriver().orElseThrow().awaitQueued(Duration.ofSeconds(60));

        Batch failed = batch(id);
        assertThat(failed.status()).isEqualTo("failed");
        assertThat(failed.rejectionReason()).isEqualTo("OBJECT_NOT_FOUND: the object was deleted or replaced before it "
            + "could be read; upload it again if it should load");
        assertThat(failed.redrives()).isEqualTo(1);
        for (int pass = 0; pass < 4; pass++) {
          f.clock.advance(Duration.ofMinutes(1));
          CheckResult later = sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME);
          assertThat(later.status()).as(later.summary()).isEqualTo(Status.OK);
        }
      }
    }
    assertThat(batch(id).status()).isEqualTo("failed");
    assertThat(f.count("SELECT count(*) FROM intake.row_errors WHERE batch_id = ? AND code = 'OBJECT_NOT_FOUND'", id))
        .isEqualTo(1);
    assertThat(f.count("SELECT count(*) FROM intake.sentinel_audit WHERE action = 'redrive'")).isEqualTo(1);
    assertThat(f.count("SELECT count(*) FROM intake.sentinel_audit WHERE action = 'force_fail'")).isZero();
  }

  @Test
  void anInProcessReDriveOfAVersionANewerUploadReplacedFailsItOnceAsSuperseded() throws Exception {
    try (VersionedS3 versioned = new VersionedS3(); S3Client s3 = versioned.client()) {
      s3.createBucket(b -> b.bucket("intake"));
      s3.putBucketVersioning(b -> b.bucket("intake").versioningConfiguration(v -> v.status("Enabled")));
      String key = "incoming/judgments/replaced.csv";
      String v1 = s3.putObject(b -> b.bucket("intake").key(key),
          software.amazon.awssdk.core.sync.RequestBody.fromString(dev.dragonfly.intake.Fixtures.csv(
              dev.dragonfly.intake.Fixtures.row("OLD-1")))).versionId();
      s3.putObject(b -> b.bucket("intake").key(key), software.amazon.awssdk.core.sync.RequestBody.fromString(
          dev.dragonfly.intake.Fixtures.csv(dev.dragonfly.intake.Fixtures.row("NEW-1"))));
      long id = f.db.jdbi().withHandle(h -> h.createQuery("""
              INSERT INTO intake.batches (source, object_key, object_version, status, owner_token, heartbeat_at,
                                          started_at, error_threshold_percent)
              VALUES ('judgments', :key, :version, 'staging', gen_random_uuid(), :hb, :hb, 10) RETURNING id""")
          .bind("key", key).bind("version", "version:" + v1).bind("hb", f.clock.instant()).mapTo(Long.class).one());
      try (SentinelFactory.Built sentinel = SentinelFactory.build(f.config(Map.of("INTAKE_BUCKET", "intake")), f.db, f.clock,
          f.clock, new SentinelFactory.Clients(Optional.of(s3), Optional.empty()), Sleeper.REAL)) {
        f.clock.advance(Duration.ofSeconds(46));
        assertThat(sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME).summary())
            .contains("batch " + id + " re-driven");
        sentinel.localRedriver().orElseThrow().awaitQueued(Duration.ofSeconds(60));
      }
      Batch failed = batch(id);
      assertThat(failed.status()).isEqualTo("failed");
      assertThat(failed.rejectionReason()).startsWith("OBJECT_SUPERSEDED: a newer version of the object");
      assertThat(f.count("SELECT count(*) FROM intake.judgments")).isZero(); // v1 never overwrote anything
    }
  }

  @Test
  void aStuckDryRunIsAbandonedOnceAndNeverReDriven() {
    long id = processing("incoming/judgments/dry-run/preview.csv", f.clock.instant());
    f.db.jdbi().useHandle(h -> h.execute("UPDATE intake.batches SET dry_run = true WHERE id = ?", id));
    try (SentinelFactory.Built sentinel = f.withTopic(Map.of(), sns)) {
      f.clock.advance(Duration.ofSeconds(46));
      CheckResult r = sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME);

      assertThat(r.status()).isEqualTo(Status.WARNING);
      assertThat(r.summary()).isEqualTo("dry-run batch " + id + " abandoned (staging, attempt 1, heartbeat silent for 46 s)");
      assertThat(r.actions()).singleElement().satisfies(a -> assertThat(a.action()).isEqualTo("abandon_dry_run"));
      Batch abandoned = batch(id);
      assertThat(abandoned.status()).isEqualTo("failed");
      assertThat(abandoned.redrives()).isZero();
      assertThat(abandoned.attempt()).isEqualTo(1);
      assertThat(abandoned.rejectionReason()).isEqualTo("the dry run's worker stopped (staging, attempt 1, heartbeat silent "
          + "for 46 s); run the dry run again");

      f.clock.advance(Duration.ofMinutes(5));
      assertThat(sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME).status()).isEqualTo(Status.OK);
    }
    assertThat(sns.published()).as("no re-drive message").isEmpty();
    assertThat(f.count("SELECT count(*) FROM intake.sentinel_audit WHERE action = 'abandon_dry_run'")).isEqualTo(1);
    assertThat(f.count("SELECT count(*) FROM intake.sentinel_audit WHERE action = 'redrive'")).isZero();
  }

  @Test
  void aLiveWorkersBatchIsLeftAlone() {
    long id = processing("incoming/judgments/alive.csv", f.clock.instant());
    try (SentinelFactory.Built sentinel = f.withTopic(Map.of(), sns)) {
      for (int i = 0; i < 5; i++) {
        f.clock.advance(Duration.ofSeconds(30));
        f.db.jdbi().useHandle(h -> h.execute("UPDATE intake.batches SET heartbeat_at = ? WHERE id = ?",
            f.clock.instant(), id)); // the worker beats
        assertThat(sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME).status()).isEqualTo(Status.OK);
      }
    }
    assertThat(sns.published()).isEmpty();
    assertThat(batch(id).status()).isEqualTo("staging");
  }

  @Test
  void aStuckBatchWhoseFileIsNotOnThisMachineIsCriticalAndNotTouched() {
    long id = processing("/nowhere/gone.csv", f.clock.instant());
    try (SentinelFactory.Built sentinel = f.local(Map.of())) {
      f.clock.advance(Duration.ofSeconds(46));
      CheckResult r = sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME);

      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.summary()).contains("cannot be re-driven here", "sentinel batch reingest " + id + " --file FILE");
    }
    assertThat(batch(id).status()).isEqualTo("staging");
    assertThat(f.count("SELECT count(*) FROM intake.sentinel_audit")).isZero();
  }

  @Test
  void aReDriveThatCannotBeHandedOffChangesNothingAndIsTriedAgainNextPass() {
    long id = processing("incoming/judgments/later.csv", f.clock.instant());
    try (SentinelFactory.Built sentinel = f.withTopic(Map.of(), sns)) {
      sns.down(true);
      f.clock.advance(Duration.ofSeconds(46));
      CheckResult r = sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME);
      assertThat(r.status()).isEqualTo(Status.WARNING);
      assertThat(r.summary()).contains("its re-drive could not be sent", "the next pass tries again");
      assertThat(batch(id).status()).isEqualTo("staging");
      assertThat(batch(id).redrives()).isZero();
      assertThat(f.count("SELECT count(*) FROM intake.sentinel_audit")).isZero();

      sns.down(false);
      f.clock.advance(Duration.ofSeconds(10));
      assertThat(sentinel.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME).status()).isEqualTo(Status.WARNING);
    }
    assertThat(redriveMessages()).containsExactly(id);
    assertThat(batch(id).redrives()).isEqualTo(1);
  }
}
