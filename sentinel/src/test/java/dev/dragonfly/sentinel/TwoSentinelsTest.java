package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dragonfly.functions.LocalS3;
import dev.dragonfly.functions.SnsFake;
import dev.dragonfly.intake.Batch;
import dev.dragonfly.intake.Races;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.StuckBatches;
import dev.dragonfly.sentinel.heal.Audit;
import dev.dragonfly.sentinel.heal.Redriver;
import dev.dragonfly.sentinel.heal.SnsRedriver;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two sentinels on one database heal each thing once: the heal is a conditional update on what the pass saw. */
class TwoSentinelsTest {
  private final SentinelFixture f = new SentinelFixture();
  private final SnsFake sns;

  TwoSentinelsTest() throws Exception {
    sns = new SnsFake();
  }

  @AfterEach
  void stop() {
    sns.close();
  }

  private long stuck(String key) {
    return f.db.jdbi().withHandle(h -> h.createQuery("""
            INSERT INTO intake.batches (source, object_key, object_version, status, owner_token, heartbeat_at,
                                        started_at, error_threshold_percent)
            VALUES ('judgments', :key, 'v1', 'staging', gen_random_uuid(), :hb, :hb, 10) RETURNING id""")
        .bind("key", key).bind("hb", f.clock.instant().minus(Duration.ofMinutes(5))).mapTo(Long.class).one());
  }

  @Test
  void secondSentinelThatSawTheSameStuckBatchChangesNothingOnceTheFirstHasHealedIt() throws Exception {
    long id = stuck("incoming/judgments/contended.csv");
    Redriver published = new SnsRedriver(LocalS3.sns(sns), SentinelFixture.TOPIC);
    CountDownLatch firstIsHealing = new CountDownLatch(1);
    // The first sentinel holds its heal open (row updated, not committed) until the second has
    // read the same stuck batch and waits on the row: the interleaving in which both saw it stuck.
    Redriver holdsItsHealOpen = new Redriver() {
      @Override public String describe() {
        return published.describe();
      }

      @Override public Optional<String> cannotRedrive(Batch batch) {
        return Optional.empty();
      }

      @Override public void redrive(Batch batch) {
        firstIsHealing.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Races.someoneWaitsForALock(f.db) && System.nanoTime() < deadline) Thread.onSpinWait();
        published.redrive(batch);
      }
    };
    Instant now = f.clock.instant();
    var first = new StuckBatches(f.db.jdbi(), Duration.ofSeconds(45), 3, holdsItsHealOpen, new Audit("sentinel-a"));
    var second = new StuckBatches(f.db.jdbi(), Duration.ofSeconds(45), 3, published, new Audit("sentinel-b"));

    CompletableFuture<CheckResult> a = Races.async(() -> first.run(now));
    assertThat(firstIsHealing.await(20, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<CheckResult> b = Races.async(() -> second.run(now));

    assertThat(a.get(30, TimeUnit.SECONDS).actions()).hasSize(1);
    assertThat(b.get(30, TimeUnit.SECONDS).actions()).isEmpty();
    assertThat(sns.published()).hasSize(1);
    assertThat(f.count("SELECT count(*) FROM intake.sentinel_audit WHERE subject = ?", "batch " + id)).isEqualTo(1);
    assertThat(f.count("SELECT redrives FROM intake.batches WHERE id = ?", id)).isEqualTo(1);
  }

  @Test
  void twoSentinelsPassingSideBySideReDriveEachStuckBatchOnce() throws Exception {
    for (int i = 0; i < 10; i++) stuck("incoming/judgments/stuck-" + i + ".csv");
    try (SentinelFactory.Built a = f.withTopic(Map.of("SENTINEL_INSTANCE", "sentinel-a"), sns);
         SentinelFactory.Built b = f.withTopic(Map.of("SENTINEL_INSTANCE", "sentinel-b"), sns)) {
      CountDownLatch start = new CountDownLatch(1);
      Instant now = f.clock.instant();
      CompletableFuture<Void> passesOfA = Races.async(() -> passes(a, start, now));
      CompletableFuture<Void> passesOfB = Races.async(() -> passes(b, start, now));
      start.countDown();
      passesOfA.get(60, TimeUnit.SECONDS);
      passesOfB.get(60, TimeUnit.SECONDS);
    }
    assertThat(sns.published()).hasSize(10);
    assertThat(f.count("SELECT count(*) FROM intake.sentinel_audit WHERE action = 'redrive'")).isEqualTo(10);
    assertThat(f.count("SELECT count(DISTINCT subject) FROM intake.sentinel_audit")).isEqualTo(10);
    assertThat(f.count("SELECT count(*) FROM intake.batches WHERE redrives = 1 AND status = 'uploaded'")).isEqualTo(10);
  }

  private static Void passes(SentinelFactory.Built sentinel, CountDownLatch start, Instant now) {
    try {
      start.await();
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
    for (int i = 0; i < 5; i++) sentinel.sentinel().runOnce(now);
    return null;
  }
}
