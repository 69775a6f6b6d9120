package dev.dragonfly.intake;

import java.sql.SQLException;
import java.util.List;
import java.util.function.Consumer;
import org.jdbi.v3.core.Handle;

/** Reads and appends a batch's row errors in {@code intake.row_errors}. */
public final class RowErrors {
  private RowErrors() {}

  private static final String COPY = """
      COPY intake.row_errors (batch_id, attempt, record_number, column_name, code, message) FROM STDIN""";

  /** Appends errors of one attempt with COPY; an abandoned attempt's errors never show, see {@link #current}. */
  static void append(Handle h, long batchId, int attempt, List<RowError> errors) {
    CopyRows rows = new CopyRows();
    for (RowError e : errors) {
      rows.value(batchId).value(attempt)
          .value(e.recordNumber() == null ? null : e.recordNumber().toString())
          .value(e.column()).value(e.code().name()).value(e.message()).endRow();
    }
    try {
      rows.copyInto(h.getConnection(), COPY);
    } catch (SQLException e) {
      throw new DatabaseUnavailableException("cannot record row errors: " + e.getMessage(), e);
    }
  }

  /** The batch's errors from its current attempt, in file order (whole-file errors first), streamed. */
  public static void forEachCurrent(Handle h, long batchId, long limit, Consumer<RowError> action) {
    h.createQuery("""
            SELECT e.record_number, e.column_name, e.code, e.message
            FROM intake.row_errors e JOIN intake.batches b ON b.id = e.batch_id AND b.attempt = e.attempt
            WHERE e.batch_id = :id
            ORDER BY e.record_number NULLS FIRST, e.column_name NULLS FIRST
            LIMIT :limit""")
        .bind("id", batchId).bind("limit", limit)
        .setFetchSize(1000) // streams inside a transaction instead of holding every error in memory
        .map((rs, ctx) -> new RowError((Long) rs.getObject("record_number"), rs.getString("column_name"),
            ErrorCode.valueOf(rs.getString("code")), rs.getString("message")))
        .useStream(rows -> rows.forEach(action));
  }
}
