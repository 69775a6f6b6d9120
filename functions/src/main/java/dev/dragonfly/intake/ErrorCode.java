package dev.dragonfly.intake;

/** Every error code a vendor can see, row-level and file-level, with the fix a vendor should make. */
public enum ErrorCode {
  // Row-level: the row is reported, the rest of the file loads.
  MISSING_REQUIRED_FIELD(false),
  FIELD_TOO_LONG(false),
  DUPLICATE_CASE_NUMBER(false),
  INVALID_AMOUNT(false),
  INVALID_DATE_FORMAT(false),
  INVALID_SSN_LAST4(false),
  INVALID_EMAIL(false),
  WRONG_FIELD_COUNT(false),
  FORMULA_INJECTION(false),
  // File-level: the whole file is rejected and nothing is written to the target.
  MALFORMED_CSV(true),
  INVALID_ENCODING(true),
  EMPTY_FILE(true),
  MISSING_REQUIRED_COLUMN(true),
  DUPLICATE_COLUMN(true),
  FILE_TOO_LARGE(true),
  UNKNOWN_SOURCE(true),
  INVALID_KEY(true),
  /** Not the vendor's doing: an event from a bucket other than the function's INTAKE_BUCKET (refused unread). */
  WRONG_BUCKET(true),
  OBJECT_NOT_FOUND(true),
  OBJECT_SUPERSEDED(true),
  ERROR_RATE_EXCEEDED(true);

  private final boolean rejectsFile;

  ErrorCode(boolean rejectsFile) {
    this.rejectsFile = rejectsFile;
  }

  /** True when this code rejects the whole file rather than one row. */
  public boolean rejectsFile() {
    return rejectsFile;
  }
}
