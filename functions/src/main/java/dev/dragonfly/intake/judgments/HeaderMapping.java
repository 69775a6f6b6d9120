package dev.dragonfly.intake.judgments;

import static dev.dragonfly.intake.ErrorCode.DUPLICATE_COLUMN;
import static dev.dragonfly.intake.ErrorCode.EMPTY_FILE;
import static dev.dragonfly.intake.ErrorCode.MALFORMED_CSV;
import static dev.dragonfly.intake.ErrorCode.MISSING_REQUIRED_COLUMN;

import dev.dragonfly.intake.FileRejectedException;
import dev.dragonfly.intake.ShellQuote;
import dev.dragonfly.intake.SourceProfile;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where each canonical column sits in a file, resolved from its header through the source
 * profile's aliases. Names match case-insensitively after trimming; unknown columns are ignored
 * and listed so the vendor can see them.
 */
public final class HeaderMapping {
  private final int[] positionOf; // by JudgmentColumn ordinal; -1 when absent
  private final int fieldCount;
  private final List<String> ignoredColumns;

  private HeaderMapping(int[] positionOf, int fieldCount, List<String> ignoredColumns) {
    this.positionOf = positionOf;
    this.fieldCount = fieldCount;
    this.ignoredColumns = List.copyOf(ignoredColumns);
  }

  /** Resolves the header record (record 1), or rejects the file saying what is wrong with it. */
  public static HeaderMapping resolve(String[] header, int fieldCount, SourceProfile profile) {
    if (fieldCount > header.length) {
      throw new FileRejectedException(MALFORMED_CSV, 1L,
          "the header has " + fieldCount + " columns, more than the " + header.length + " allowed");
    }
    if (fieldCount == 1 && header[0] != null && header[0].indexOf(';') >= 0) {
      throw new FileRejectedException(MALFORMED_CSV, 1L,
          "the header looks semicolon-delimited; files must be comma-separated (RFC 4180)");
    }
    Map<String, String> aliases = profile.headerAliases();
    int[] positionOf = new int[JudgmentColumn.ALL.length];
    Arrays.fill(positionOf, -1);
    List<String> ignored = new ArrayList<>();
    for (int i = 0; i < fieldCount; i++) {
      String raw = header[i] == null ? "" : header[i].strip();
      String name = raw.toLowerCase(Locale.ROOT);
      String canonical = aliases.getOrDefault(name, name).toLowerCase(Locale.ROOT);
      JudgmentColumn column = byName(canonical);
      if (column == null) {
        ignored.add(raw.length() > 64 ? raw.substring(0, 64) + "…" : raw);
        continue;
      }
      if (positionOf[column.ordinal()] >= 0) {
        throw new FileRejectedException(DUPLICATE_COLUMN, 1L,
            "the header names column " + column.columnName() + " twice (columns "
                + (positionOf[column.ordinal()] + 1) + " and " + (i + 1) + "); keep one of them");
      }
      positionOf[column.ordinal()] = i;
    }
    List<String> missing = new ArrayList<>();
    for (JudgmentColumn c : JudgmentColumn.ALL) {
      if (c.required() && positionOf[c.ordinal()] < 0) missing.add(c.columnName());
    }
    if (!missing.isEmpty()) {
      // the headers it did not recognise are exactly what an alias needs
      String unrecognised = ignored.isEmpty() ? "" : "; it has column" + (ignored.size() > 1 ? "s" : "") + " it does not "
          + "recognise: " + ignored.stream().map(c -> "'" + c + "'").collect(java.util.stream.Collectors.joining(", "))
          + " (map one with an alias: sentinel source add NAME --alias "
          + ShellQuote.quote(ignored.get(0).toLowerCase(Locale.ROOT) + "=" + missing.get(0)) + ")";
      throw new FileRejectedException(MISSING_REQUIRED_COLUMN, 1L,
          "the header lacks required column" + (missing.size() > 1 ? "s " : " ") + String.join(", ", missing)
              + unrecognised + "; the first line must name the columns (aliases come from the source profile '"
              + profile.name() + "')");
    }
    return new HeaderMapping(positionOf, fieldCount, ignored);
  }

  /** The file has no header at all. */
  public static FileRejectedException emptyFile() {
    return new FileRejectedException(EMPTY_FILE, null, "the file is empty; it must start with a header line");
  }

  private static JudgmentColumn byName(String name) {
    for (JudgmentColumn c : JudgmentColumn.ALL) {
      if (c.columnName().equals(name)) return c;
    }
    return null;
  }

  /** Field index of the column in each record, or -1 when the file does not have it. */
  public int position(JudgmentColumn column) {
    return positionOf[column.ordinal()];
  }

  /** Fields every record must have: the header's count. */
  public int fieldCount() {
    return fieldCount;
  }

  public List<String> ignoredColumns() {
    return ignoredColumns;
  }
}
