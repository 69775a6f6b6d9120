package dev.dragonfly.intake;

import java.util.List;
import java.util.Map;

/** Reads the database back for assertions. */
public final class Target {
  private final Database db;

  public Target(Database db) {
    this.db = db;
  }

  public long judgments() {
    return db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM intake.judgments").mapTo(Long.class).one());
  }

  public long live() {
    return db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM intake.judgments_current")
        .mapTo(Long.class).one());
  }

  /** Every judgment row, all columns, in key order: a snapshot to compare row by row. */
  public List<Map<String, Object>> snapshot(String relation) {
    return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM intake." + relation + " ORDER BY case_number")
        .mapToMap().list());
  }

  public Map<String, Object> judgment(String caseNumber) {
    return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM intake.judgments WHERE case_number = :k")
        .bind("k", caseNumber).mapToMap().one());
  }

  public Batch batch(long id) {
    return new BatchStore(db.jdbi()).require(id);
  }

  public List<RowError> errors(long batchId) {
    List<RowError> errors = new java.util.ArrayList<>();
    db.jdbi().useTransaction(h -> RowErrors.forEachCurrent(h, batchId, Long.MAX_VALUE, errors::add));
    return errors;
  }

  /** Moves the batch's last heartbeat an hour back, as if its worker had been silent that long. */
  public void ageHeartbeat(long batchId) {
    db.jdbi().useHandle(h -> h.execute(
        "UPDATE intake.batches SET heartbeat_at = heartbeat_at - interval '1 hour' WHERE id = ?", batchId));
  }

  public long count(String sql, Object... args) {
    return db.jdbi().withHandle(h -> {
      var q = h.createQuery(sql);
      for (int i = 0; i < args.length; i++) q.bind(i, args[i]);
      return q.mapTo(Long.class).one();
    });
  }
}
