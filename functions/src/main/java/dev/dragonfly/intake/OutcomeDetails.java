package dev.dragonfly.intake;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * The parts of a batch's outcome that its counts do not hold (the ignored columns, the measured
 * duration), kept on the batch row with the verdict so that {@link IntakePipeline#resultOf}
 * rebuilds the outcome a retry delivers exactly as the first run built it. Written just before
 * the verdict by the claim's owner (a lost claim writes nothing); a run that dies before its
 * verdict leaves them to be written again by the next attempt.
 */
final class OutcomeDetails {
  private static final String UPDATE = """
      UPDATE intake.batches SET ignored_columns = ?, duration_ms = ?
      WHERE id = ? AND owner_token = ?""";

  private OutcomeDetails() {}

  /** What a batch row holds: {@code durationMillis} is empty on batches decided before V10. */
  record Details(List<String> ignoredColumns, Optional<Long> durationMillis) {}

  static void record(Connection c, Claim.Claimed claim, List<String> ignoredColumns, long durationMillis)
      throws SQLException {
    try (var ps = c.prepareStatement(UPDATE)) {
      ps.setArray(1, c.createArrayOf("text", ignoredColumns.toArray()));
      ps.setLong(2, durationMillis);
      ps.setLong(3, claim.batchId());
      ps.setObject(4, claim.token());
      ps.executeUpdate();
    }
  }

  static void record(Handle h, Claim.Claimed claim, List<String> ignoredColumns, long durationMillis) {
    try {
      record(h.getConnection(), claim, ignoredColumns, durationMillis);
    } catch (SQLException e) {
      throw new IntakeFailedException("batch " + claim.batchId() + ": could not record its outcome details", e);
    }
  }

  static Details find(Handle h, long batchId) {
    return h.createQuery("SELECT ignored_columns, duration_ms FROM intake.batches WHERE id = :id")
        .bind("id", batchId)
        .map((rs, ctx) -> {
          java.sql.Array columns = rs.getArray("ignored_columns");
          long millis = rs.getLong("duration_ms");
          return new Details(columns == null ? List.of() : List.of((String[]) columns.getArray()),
              rs.wasNull() ? Optional.empty() : Optional.of(millis));
        })
        .one();
  }
}
