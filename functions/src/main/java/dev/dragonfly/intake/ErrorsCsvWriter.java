package dev.dragonfly.intake;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;

/**
 * Writes row errors as CSV a vendor can open in a spreadsheet: every cell that a spreadsheet
 * would run as a formula (=, +, -, @, tab, CR first) is prefixed with an apostrophe, and
 * fields are quoted per RFC 4180.
 */
public final class ErrorsCsvWriter {
  public static final String HEADER = "record_number,column,code,message";

  private final Writer out;

  public ErrorsCsvWriter(Writer out) {
    this.out = out;
    line(HEADER);
  }

  public void write(RowError e) {
    line(cell(e.recordNumber() == null ? "" : e.recordNumber().toString()) + ',' + cell(e.column()) + ','
        + cell(e.code().name()) + ',' + cell(e.message()));
  }

  public void flush() {
    try {
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One CSV cell, neutralised against formula injection and quoted when needed. */
  static String cell(String value) {
    if (value == null || value.isEmpty()) return "";
    String safe = value;
    char first = value.charAt(0);
    if (first == '=' || first == '+' || first == '-' || first == '@' || first == '\t' || first == '\r') {
      safe = "'" + value;
    }
    if (safe.indexOf(',') >= 0 || safe.indexOf('"') >= 0 || safe.indexOf('\n') >= 0 || safe.indexOf('\r') >= 0) {
      return '"' + safe.replace("\"", "\"\"") + '"';
    }
    return safe;
  }

  private void line(String s) {
    try {
      out.write(s);
      out.write("\r\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
