package dev.dragonfly.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A worker that lost its batch to a takeover reaches each fenced write of {@link BatchStore}
 * (advance, markDuplicate, reject, release, complete)
 * with its old claim while the new owner is still mid-run: the owner token alone stops it (the
 * batch is in a processing state, so the status condition lets the write through), the row stays
 * exactly the new owner's, and the call says the claim was lost.
 */
class StaleOwnerWritesTest {
  private static final ObjectRef REF = Fixtures.ref("incoming/judgments/taken-over.csv");
  private static final BigDecimal THRESHOLD = BigDecimal.TEN;
  private final Database db = TestDatabase.fresh();
  private final Target target = new Target(db);
  private final BatchStore store = new BatchStore(db.jdbi());
  private final Duration stale = IntakeConfig.defaults().staleAfter();
  private Claim.Claimed oldOwner;
  private Claim.Claimed newOwner;

  /** A claims; A goes silent past the stale window; B takes over and moves on to validating. */
  @BeforeEach
  void takeOver() {
    oldOwner = claim(REF);
    target.ageHeartbeat(oldOwner.batchId());
    newOwner = claim(REF);
    assertThat(newOwner.takeover()).isTrue();
    assertThat(newOwner.batchId()).isEqualTo(oldOwner.batchId());
    assertThat(newOwner.attempt()).isEqualTo(2);
    assertThat(write(h -> store.advance(h, newOwner, "validating"))).isTrue();
  }

  private Claim.Claimed claim(ObjectRef ref) {
    return (Claim.Claimed) db.jdbi().withHandle(h -> store.claim(h, ref, THRESHOLD, stale));
  }

  /** Runs one fenced write on a connection of its own, as a worker's control handle would. */
  private boolean write(Function<Handle, Boolean> write) {
    return db.jdbi().withHandle(write::apply);
  }

  private Map<String, Object> row() {
    return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM intake.batches WHERE id = :id")
        .bind("id", oldOwner.batchId()).mapToMap().one());
  }

  /** The row as the new owner left it: its token, its attempt, its status, no verdict of anyone's. */
  private void assertStillTheNewOwners(Map<String, Object> before) {
    Map<String, Object> now = row();
    assertThat(now).containsEntry("status", "validating").containsEntry("owner_token", newOwner.token())
        .containsEntry("attempt", 2).containsEntry("last_error", null).containsEntry("rejection_reason", null)
        .containsEntry("duplicate_of", null).containsEntry("rows_total", null).containsEntry("rows_inserted", null)
        .containsEntry("content_sha256", null);
    assertThat(now).isEqualTo(before);
  }

  @Test
  void advance_byTheOwnerItWasTakenFrom_changesNothingAndReportsTheLoss() {
    Map<String, Object> before = row();
    boolean written = write(h -> store.advance(h, oldOwner, "inserting"));
    assertStillTheNewOwners(before);
    assertThat(written).isFalse();

    assertThat(write(h -> store.advance(h, newOwner, "inserting"))).isTrue(); // the same write, by the owner
    assertThat(row()).containsEntry("status", "inserting");
  }

  @Test
  void markDuplicate_byTheOwnerItWasTakenFrom_changesNothingAndReportsTheLoss() {
    long original = claim(Fixtures.ref("incoming/judgments/original.csv")).batchId();
    Map<String, Object> before = row();
    boolean written = write(h -> store.markDuplicate(h, oldOwner, original, "ab".repeat(32), 100));
    assertStillTheNewOwners(before);
    assertThat(written).isFalse();

    assertThat(write(h -> store.markDuplicate(h, newOwner, original, "ab".repeat(32), 100))).isTrue();
    assertThat(row()).containsEntry("status", "duplicate").containsEntry("duplicate_of", original);
  }

  @Test
  void reject_byTheOwnerItWasTakenFrom_changesNothingAndReportsTheLoss() {
    Map<String, Object> before = row();
    var counts = new BatchCounts(10, 5, 5, 0, 0, 0);
    boolean written = write(h -> store.reject(h, oldOwner, "error rate 50.0% > 10.0% threshold", counts,
        "cd".repeat(32), 100));
    assertStillTheNewOwners(before);
    assertThat(written).isFalse();

    assertThat(write(h -> store.reject(h, newOwner, "error rate 50.0% > 10.0% threshold", counts,
        "cd".repeat(32), 100))).isTrue();
    assertThat(row()).containsEntry("status", "failed").containsEntry("rows_invalid", 5L);
  }

  @Test
  void release_byTheOwnerItWasTakenFrom_doesNotHandTheLiveBatchBack() {
    Map<String, Object> before = row();
    boolean released = write(h -> store.release(h, oldOwner, "database error 08006: An I/O error occurred"));
    assertStillTheNewOwners(before);
    assertThat(released).isFalse();
    assertThat(write(h -> store.heartbeat(h, newOwner))).isTrue(); // the new owner still holds it

    assertThat(write(h -> store.release(h, newOwner, "database error 08006: An I/O error occurred"))).isTrue();
    assertThat(row()).containsEntry("status", "uploaded").containsEntry("owner_token", null);
  }

  @Test
  void complete_byTheOwnerItWasTakenFrom_changesNothingAndReportsTheLoss() throws Exception {
    Map<String, Object> before = row();
    var counts = new BatchCounts(3, 3, 0, 3, 0, 0);
    try (var load = db.connection()) {
      assertThat(store.complete(load, oldOwner, counts, "ef".repeat(32), 100)).isFalse();
    }
    assertStillTheNewOwners(before);

    try (var load = db.connection()) {
      assertThat(store.complete(load, newOwner, counts, "ef".repeat(32), 100)).isTrue();
    }
    assertThat(row()).containsEntry("status", "completed").containsEntry("rows_inserted", 3L);
  }
}
