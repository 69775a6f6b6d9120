package dev.dragonfly.intake.judgments;

import dev.dragonfly.intake.ErrorCode;
import dev.dragonfly.intake.RowError;
import java.util.ArrayList;
import java.util.List;

/**
 * One data record after validation: its canonical values in {@link JudgmentColumn} order
 * (null for an absent optional value) and the errors found in it. A row with any error is
 * invalid and is reported, not loaded.
 */
public final class ValidatedRow {
  private final long recordNumber;
  private final String[] values;
  private List<RowError> errors;

  ValidatedRow(long recordNumber, String[] values) {
    this.recordNumber = recordNumber;
    this.values = values;
  }

  public long recordNumber() {
    return recordNumber;
  }

  /** The natural key, or null when the row has none usable. */
  public String caseNumber() {
    return values[JudgmentColumn.CASE_NUMBER.ordinal()];
  }

  public String value(JudgmentColumn column) {
    return values[column.ordinal()];
  }

  public boolean isValid() {
    return errors == null;
  }

  public List<RowError> errors() {
    return errors == null ? List.of() : errors;
  }

  /** Adds an error found after validation (a duplicate key found while loading). */
  public void addError(String column, ErrorCode code, String message) {
    if (errors == null) errors = new ArrayList<>(2);
    errors.add(new RowError(recordNumber, column, code, message));
  }
}
