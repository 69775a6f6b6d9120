package dev.dragonfly.intake.judgments;

import static dev.dragonfly.intake.ErrorCode.FIELD_TOO_LONG;
import static dev.dragonfly.intake.ErrorCode.FORMULA_INJECTION;
import static dev.dragonfly.intake.ErrorCode.INVALID_AMOUNT;
import static dev.dragonfly.intake.ErrorCode.INVALID_DATE_FORMAT;
import static dev.dragonfly.intake.ErrorCode.INVALID_EMAIL;
import static dev.dragonfly.intake.ErrorCode.INVALID_SSN_LAST4;
import static dev.dragonfly.intake.ErrorCode.MISSING_REQUIRED_FIELD;
import static dev.dragonfly.intake.ErrorCode.WRONG_FIELD_COUNT;

import dev.dragonfly.intake.SourceProfile;
import dev.dragonfly.intake.csv.CsvReader;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.List;

/**
 * Checks one record against the judgments rules (see README "Validation rules"). Messages
 * name the column and the rule, never the value: values may hold personal data.
 */
public final class JudgmentValidator {
  /** PostgreSQL has no year 0, and a judgment from before this year is a typo. */
  static final int MIN_YEAR = 1000;
  /** Amounts are below 10^10: at most ten digits before the point. */
  static final int MAX_AMOUNT_INTEGER_DIGITS = 10;

  private final HeaderMapping header;
  private final List<DateTimeFormatter> extraDateFormats;
  private final LocalDate today;

  public JudgmentValidator(HeaderMapping header, SourceProfile profile, LocalDate today) {
    this.header = header;
    this.extraDateFormats = profile.dateFormats().stream()
        .map(p -> DateTimeFormatter.ofPattern(p.replace("yyyy", "uuuu")).withResolverStyle(ResolverStyle.STRICT))
        .toList();
    this.today = today;
  }

  public ValidatedRow validate(CsvReader record) {
    long number = record.recordNumber();
    String[] values = new String[JudgmentColumn.ALL.length];
    ValidatedRow row = new ValidatedRow(number, values);
    if (record.fieldCount() != header.fieldCount()) {
      row.addError(null, WRONG_FIELD_COUNT, "the record has " + record.fieldCount()
          + " fields but the header has " + header.fieldCount() + "; quote any field that contains a comma");
      return row;
    }
    for (JudgmentColumn column : JudgmentColumn.ALL) {
      int position = header.position(column);
      if (position < 0) continue;
      values[column.ordinal()] = checkField(record, position, column, row);
    }
    if (!row.isValid()) values[JudgmentColumn.CASE_NUMBER.ordinal()] = null;
    return row;
  }

  /** Returns the canonical value, or null when absent or invalid (the error is added to the row). */
  private String checkField(CsvReader record, int position, JudgmentColumn column, ValidatedRow row) {
    String name = column.columnName();
    if (record.isOversize(position)) {
      row.addError(name, FIELD_TOO_LONG, name + " is " + record.fieldLength(position)
          + " bytes long; the limit is " + column.maxLength() + " characters");
      return null;
    }
    String raw = record.field(position);
    // checked on the raw cell (a leading tab) and on what would be stored (" =cmd" is stored as "=cmd")
    if (column.isText() && (looksLikeFormula(raw) || looksLikeFormula(raw.strip()))) {
      row.addError(name, FORMULA_INJECTION, name
          + " starts with =, +, -, @, a tab or a carriage return, which spreadsheets run as a formula; remove that first character");
      return null;
    }
    String value = raw.strip();
    if (value.isEmpty()) {
      if (column.required()) row.addError(name, MISSING_REQUIRED_FIELD, name + " is required but empty");
      return null;
    }
    if (value.length() > column.maxLength() && column != JudgmentColumn.DEFENDANT_SSN_LAST4) {
      row.addError(name, FIELD_TOO_LONG, name + " is " + value.length() + " characters long; the limit is "
          + column.maxLength());
      return null;
    }
    return switch (column) {
      case JUDGMENT_AMOUNT -> checkAmount(value, row);
      case JUDGMENT_DATE -> checkDate(value, row);
      case DEFENDANT_SSN_LAST4 -> checkSsnLast4(value, row);
      case DEFENDANT_EMAIL -> checkEmail(value, row);
      default -> value;
    };
  }

  /** A text cell a spreadsheet would evaluate, unless it is a plain number such as -12.50. */
  static boolean looksLikeFormula(String raw) {
    if (raw.isEmpty()) return false;
    char first = raw.charAt(0);
    if (first == '\t' || first == '\r') return true;
    if (first != '=' && first != '+' && first != '-' && first != '@') return false;
    return !(first == '+' || first == '-') || !isPlainNumber(raw, 1);
  }

  private static boolean isPlainNumber(String s, int from) {
    int digits = 0;
    boolean point = false;
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') digits++;
      else if (c == '.' && !point) point = true;
      else return false;
    }
    return digits > 0;
  }

  private static String checkAmount(String value, ValidatedRow row) {
    int point = -1;
    int integerDigits = 0;
    boolean leading = true;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '.' && point < 0) {
        point = i;
      } else if (c >= '0' && c <= '9') {
        if (point < 0) {
          if (leading && c == '0') continue;
          leading = false;
          integerDigits++;
        }
      } else {
        return invalidAmount(row);
      }
    }
    int decimals = point < 0 ? 0 : value.length() - point - 1;
    boolean hasDigit = value.length() > (point < 0 ? 0 : 1);
    if (!hasDigit || decimals > 2 || (point >= 0 && decimals == 0) || integerDigits > MAX_AMOUNT_INTEGER_DIGITS) {
      return invalidAmount(row);
    }
    return value;
  }

  private static String invalidAmount(ValidatedRow row) {
    row.addError("judgment_amount", INVALID_AMOUNT,
        "judgment_amount must be a plain number >= 0 with at most 2 decimals and below 10000000000, like 1234.50");
    return null;
  }

  private String checkDate(String value, ValidatedRow row) {
    LocalDate date = parseIsoDate(value);
    for (int i = 0; date == null && i < extraDateFormats.size(); i++) {
      try {
        date = LocalDate.parse(value, extraDateFormats.get(i));
      } catch (DateTimeParseException ignored) {
        // try the next accepted format
      }
    }
    if (date == null || date.getYear() < MIN_YEAR) {
      row.addError("judgment_date", INVALID_DATE_FORMAT, "judgment_date must be a real date written YYYY-MM-DD"
          + (extraDateFormats.isEmpty() ? "" : " or in a format the source profile accepts"));
      return null;
    }
    if (date.isAfter(today)) {
      row.addError("judgment_date", INVALID_DATE_FORMAT, "judgment_date is in the future");
      return null;
    }
    return date.toString();
  }

  /** Strict {@code YYYY-MM-DD} without the cost of a formatter; null when it is not one. */
  static LocalDate parseIsoDate(String s) {
    if (s.length() != 10 || s.charAt(4) != '-' || s.charAt(7) != '-') return null;
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 7);
    int day = digits(s, 8, 10);
    if (year < 0 || month < 0 || day < 0) return null;
    try {
      return LocalDate.of(year, month, day);
    } catch (DateTimeException e) {
      return null;
    }
  }

  private static int digits(String s, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') return -1;
      n = n * 10 + (c - '0');
    }
    return n;
  }

  private static String checkSsnLast4(String value, ValidatedRow row) {
    if (value.length() == 4 && digits(value, 0, 4) >= 0) return value;
    int digitCount = 0;
    for (int i = 0; i < value.length(); i++) if (Character.isDigit(value.charAt(i))) digitCount++;
    row.addError("defendant_ssn_last4", INVALID_SSN_LAST4, digitCount >= 9
        ? "defendant_ssn_last4 holds what looks like a full SSN; send only the last 4 digits (the value was not stored)"
        : "defendant_ssn_last4 must be exactly 4 digits");
    return null;
  }

  private static String checkEmail(String value, ValidatedRow row) {
    int at = value.indexOf('@');
    boolean valid = at > 0 && at == value.lastIndexOf('@') && at <= 64 && at < value.length() - 1;
    if (valid) {
      String domain = value.substring(at + 1);
      valid = domain.indexOf('.') > 0 && !domain.endsWith(".") && !domain.contains("..");
      for (int i = 0; valid && i < value.length(); i++) {
        char c = value.charAt(i);
        valid = c > ' ' && c != '(' && c != ')' && c != ',' && c != ';' && c != ':' && c != '<' && c != '>'
            && c != '[' && c != ']' && c != '\\' && c != '"';
      }
    }
    if (!valid) {
      row.addError("defendant_email", INVALID_EMAIL, "defendant_email must be an address like name@example.com");
      return null;
    }
    return value;
  }
}
