package dev.dragonfly.intake.judgments;

import java.util.Locale;

/** The judgments dataset's canonical columns, in target-table order, with their rules. */
public enum JudgmentColumn {
  CASE_NUMBER(true, 64),
  PLAINTIFF_NAME(true, 255),
  DEFENDANT_NAME(true, 255),
  JUDGMENT_AMOUNT(true, 32),
  JUDGMENT_DATE(true, 32),
  COURT(false, 255),
  COUNTY(false, 255),
  DEFENDANT_ADDRESS(false, 500),
  DEFENDANT_SSN_LAST4(false, 4),
  DEFENDANT_EMAIL(false, 254);

  private final boolean required;
  private final int maxLength;
  private final String columnName;

  JudgmentColumn(boolean required, int maxLength) {
    this.required = required;
    this.maxLength = maxLength;
    this.columnName = name().toLowerCase(Locale.ROOT);
  }

  /** The name in CSV headers and in {@code intake.judgments}. */
  public String columnName() {
    return columnName;
  }

  public boolean required() {
    return required;
  }

  /** Longest accepted value in characters. */
  public int maxLength() {
    return maxLength;
  }

  /** Free text that a spreadsheet could read as a formula; numbers and dates are checked by their own rules. */
  boolean isText() {
    return this != JUDGMENT_AMOUNT && this != JUDGMENT_DATE && this != DEFENDANT_SSN_LAST4;
  }

  static final JudgmentColumn[] ALL = values();
}
