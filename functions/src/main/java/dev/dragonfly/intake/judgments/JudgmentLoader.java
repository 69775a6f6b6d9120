package dev.dragonfly.intake.judgments;

import static dev.dragonfly.intake.ErrorCode.DUPLICATE_CASE_NUMBER;

import dev.dragonfly.intake.CopyRows;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a batch's valid judgments inside one load transaction, chunk by chunk.
 *
 * <p>New rows are copied straight into {@code intake.judgments}: a file of new rows is written
 * once, not staged and then copied again. The first chunk that collides with an existing key
 * (a re-sent file, or a case number repeated in the file) is rolled back to its savepoint and
 * the loader switches to checking keys: rows whose key exists go to a temporary stage and are
 * merged at the end with history kept for rollback; a key this batch already loaded makes the
 * later row a {@code DUPLICATE_CASE_NUMBER}. A dry run stages everything and writes nothing.
 */
public final class JudgmentLoader {
  private enum Mode { DIRECT, CHECKED, STAGE_ONLY }

  private final Connection connection;
  private final long batchId;
  private final String source;
  private Mode mode;
  private boolean stageCreated;
  private boolean savepointSet;
  private long insertedDirectly;
  private final CopyRows copy = new CopyRows(); // reused for staging
  private final Runnable duringCopy;

  public JudgmentLoader(Connection connection, long batchId, String source, boolean dryRun) {
    this(connection, batchId, source, dryRun, () -> { });
  }

  /** @param duringCopy called in the middle of each COPY into the target, for tests freezing a worker there */
  public JudgmentLoader(Connection connection, long batchId, String source, boolean dryRun, Runnable duringCopy) {
    this.connection = connection;
    this.batchId = batchId;
    this.source = source;
    this.mode = dryRun ? Mode.STAGE_ONLY : Mode.DIRECT;
    this.duringCopy = duringCopy;
  }

  /**
   * Whether loading this batch's rows, as they stand (loaded in the open transaction or staged),
   * would insert or update nothing: every valid row is in the table unchanged. Exact, whatever
   * happened to the table since a batch of the same content: only then is a file of that content
   * skipped as a duplicate. A vendor reverting to an earlier file gets it loaded.
   */
  public boolean wouldChangeNothing() throws SQLException {
    Outcome o = preview();
    return o.inserted() == 0 && o.updated() == 0;
  }

  /**
   * Encodes rows for a direct copy into the target. Done by the reader thread, ahead of time, so
   * the database never waits for the loader to encode the next chunk.
   */
  public static CopyRows encodeForTarget(List<ValidatedRow> rows, String source, long batchId) {
    CopyRows copy = new CopyRows();
    for (ValidatedRow row : rows) {
      appendValues(copy, row);
      copy.value(source).value(batchId).value(batchId).endRow();
    }
    return copy;
  }

  /**
   * Loads the valid rows of one chunk (their case numbers are unique within the chunk), given
   * also as {@link #encodeForTarget} encoded them. A row whose case number this batch already
   * loaded gets a {@code DUPLICATE_CASE_NUMBER} error and is not written.
   */
  public void load(List<ValidatedRow> rows, CopyRows encoded) throws SQLException {
    if (rows.isEmpty()) return;
    if (mode == Mode.DIRECT) {
      if (tryCopyIntoTarget(encoded)) return;
      mode = Mode.CHECKED; // keys collide from here on more often than not: stop guessing
    }
    loadChecked(rows);
  }

  private void loadChecked(List<ValidatedRow> rows) throws SQLException {
    String[] keys = new String[rows.size()];
    for (int i = 0; i < keys.length; i++) keys[i] = rows.get(i).caseNumber();
    Map<String, Long> loadedByThisBatch = new HashMap<>();
    Map<String, Boolean> existing = new HashMap<>();
    if (mode == Mode.CHECKED) findTargetKeys(keys, loadedByThisBatch, existing);
    if (stageCreated) findStagedKeys(keys, loadedByThisBatch);

    List<ValidatedRow> newRows = new ArrayList<>();
    List<ValidatedRow> staged = new ArrayList<>();
    for (ValidatedRow row : rows) {
      Long earlier = loadedByThisBatch.get(row.caseNumber());
      if (earlier != null) {
        row.addError("case_number", DUPLICATE_CASE_NUMBER,
            "case_number already appears in record " + earlier + " of this file; only the first is loaded");
      } else if (mode == Mode.STAGE_ONLY || existing.containsKey(row.caseNumber())) {
        staged.add(row);
      } else {
        newRows.add(row);
      }
    }
    // Another batch may insert one of these keys meanwhile: then the whole chunk goes through the stage.
    if (!newRows.isEmpty() && !tryCopyIntoTarget(encodeForTarget(newRows, source, batchId))) staged.addAll(newRows);
    stage(staged);
  }

  private boolean tryCopyIntoTarget(CopyRows encoded) throws SQLException {
    markChunkStart();
    try {
      insertedDirectly += encoded.copyInto(connection, JudgmentSql.COPY_TARGET, duringCopy);
      return true;
    } catch (SQLException e) {
      if (!"23505".equals(e.getSQLState())) throw e;
      execute("ROLLBACK TO SAVEPOINT chunk");
      return false;
    }
  }

  /**
   * Sets the savepoint a colliding chunk rolls back to. Releasing the previous one goes in the
   * same round trip: per-chunk round trips are what a chunked load pays for.
   */
  private void markChunkStart() throws SQLException {
    execute(savepointSet ? "RELEASE SAVEPOINT chunk; SAVEPOINT chunk" : "SAVEPOINT chunk");
    savepointSet = true;
  }

  private void stage(List<ValidatedRow> rows) throws SQLException {
    if (rows.isEmpty()) return;
    if (!stageCreated) {
      try (var st = connection.createStatement()) {
        st.execute(JudgmentSql.CREATE_STAGE);
      }
      stageCreated = true;
    }
    copy.clear();
    for (ValidatedRow row : rows) {
      appendValues(copy, row);
      copy.endRow();
    }
    copy.copyInto(connection, JudgmentSql.COPY_STAGE);
  }

  private static void appendValues(CopyRows copy, ValidatedRow row) {
    for (JudgmentColumn column : JudgmentColumn.ALL) copy.value(row.value(column));
    copy.value(row.recordNumber());
  }

  private void findTargetKeys(String[] keys, Map<String, Long> loadedByThisBatch, Map<String, Boolean> existing)
      throws SQLException {
    try (var ps = connection.prepareStatement(JudgmentSql.FIND_TARGET_KEYS)) {
      ps.setArray(1, connection.createArrayOf("text", keys));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (rs.getLong("last_batch_id") == batchId) {
            loadedByThisBatch.put(rs.getString("case_number"), rs.getLong("source_record_number"));
          } else {
            existing.put(rs.getString("case_number"), Boolean.TRUE);
          }
        }
      }
    }
  }

  private void findStagedKeys(String[] keys, Map<String, Long> loadedByThisBatch) throws SQLException {
    try (var ps = connection.prepareStatement(JudgmentSql.FIND_STAGED_KEYS)) {
      ps.setArray(1, connection.createArrayOf("text", keys));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) loadedByThisBatch.put(rs.getString(1), rs.getLong(2));
      }
    }
  }

  /** What loading did (or, for a dry run, would do): inserted, updated and unchanged rows. */
  public record Outcome(long inserted, long updated, long unchanged) {}

  /** Predicts the merge of the stage without writing anything: the dry run's answer. */
  public Outcome preview() throws SQLException {
    StageClasses c = classifyStage();
    return new Outcome(insertedDirectly + c.newRows + c.revived, c.updated, c.unchanged);
  }

  /**
   * Merges the stage into the target: locks the target rows it touches, keeps the previous
   * version of each one it changes (and counts, per earlier batch, those it delivers unchanged),
   * updates the changed ones, inserts the keys that are new. The lock comes first so that a rollback cannot restore rows
   * between the history and the update (it waits for this transaction instead). Fails, to be
   * retried (state 40001), if a concurrent load changed the picture meanwhile: a key that was new
   * is not, whether the other batch had committed it or still held it uncommitted.
   *
   * @param afterHistory called between the history and the update, for tests forcing a race
   */
  public Outcome merge(Runnable afterHistory) throws SQLException {
    if (!stageCreated) return new Outcome(insertedDirectly, 0, 0);
    try (var st = connection.createStatement(); ResultSet rs = st.executeQuery(JudgmentSql.LOCK_TARGET_ROWS)) {
      rs.next();
    }
    StageClasses c = classifyStage();
    if (c.total() > 0) {
      long history = execute(JudgmentSql.SAVE_HISTORY, batchId);
      long redelivered = queryLong(JudgmentSql.SAVE_REDELIVERIES, batchId);
      afterHistory.run();
      long updated = execute(JudgmentSql.UPDATE_FROM_STAGE, source, batchId);
      long inserted = execute(JudgmentSql.INSERT_FROM_STAGE, source, batchId, batchId);
      if (history != c.revived + c.updated || redelivered != c.unchanged || updated != history
          || inserted != c.newRows) {
        throw new SQLException("judgments changed under batch " + batchId + " while it merged (expected "
            + c + ", wrote history=" + history + " unchanged=" + redelivered + " updated=" + updated
            + " inserted=" + inserted
            + "); the batch will be retried", "40001");
      }
    }
    return new Outcome(insertedDirectly + c.newRows + c.revived, c.updated, c.unchanged);
  }

  private record StageClasses(long newRows, long revived, long updated, long unchanged) {
    long total() {
      return newRows + revived + updated + unchanged;
    }
  }

  private StageClasses classifyStage() throws SQLException {
    if (!stageCreated) return new StageClasses(0, 0, 0, 0);
    try (var st = connection.createStatement(); ResultSet rs = st.executeQuery(JudgmentSql.CLASSIFY_STAGE)) {
      rs.next();
      return new StageClasses(rs.getLong("new_rows"), rs.getLong("revived_rows"), rs.getLong("updated_rows"),
          rs.getLong("unchanged_rows"));
    }
  }

  private long queryLong(String sql, Object... params) throws SQLException {
    try (var ps = connection.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private long execute(String sql, Object... params) throws SQLException {
    try (var ps = connection.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
      return ps.executeLargeUpdate();
    }
  }
}
