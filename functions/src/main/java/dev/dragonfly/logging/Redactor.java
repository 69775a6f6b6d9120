package dev.dragonfly.logging;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes US social security numbers and payment card numbers from text, whatever put them
 * there. The last line of defence: messages are written never to hold row values, and this
 * catches what slips through (an exception message quoting input, a careless caller).
 */
public final class Redactor {
  private Redactor() {}

  public static final String SSN_MARK = "[REDACTED-SSN]";
  public static final String CARD_MARK = "[REDACTED-CARD]";

  /** 123-45-6789, 123 45 6789 or a lone run of nine digits. */
  private static final Pattern SSN =
      Pattern.compile("(?<![0-9A-Za-z])(?:\\d{3}[- ]\\d{2}[- ]\\d{4}|\\d{9})(?![0-9A-Za-z])");
  /** 13 to 19 digits, optionally grouped by spaces or dashes; redacted only when Luhn-valid. */
  private static final Pattern CARD_CANDIDATE =
      Pattern.compile("(?<![0-9A-Za-z])\\d(?:[ -]?\\d){12,18}(?![0-9A-Za-z])");

  public static String redact(String text) {
    if (text == null || !hasDigitRun(text)) return text;
    String withoutCards = replaceCards(text);
    return SSN.matcher(withoutCards).replaceAll(SSN_MARK);
  }

  private static String replaceCards(String text) {
    Matcher m = CARD_CANDIDATE.matcher(text);
    StringBuilder out = null;
    int last = 0;
    while (m.find()) {
      if (!luhnValid(m.group())) continue;
      if (out == null) out = new StringBuilder(text.length());
      out.append(text, last, m.start()).append(CARD_MARK);
      last = m.end();
    }
    if (out == null) return text;
    return out.append(text, last, text.length()).toString();
  }

  static boolean luhnValid(String candidate) {
    int sum = 0;
    boolean doubleIt = false;
    for (int i = candidate.length() - 1; i >= 0; i--) {
      char c = candidate.charAt(i);
      if (c < '0' || c > '9') continue;
      int d = c - '0';
      if (doubleIt) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
      doubleIt = !doubleIt;
    }
    return sum % 10 == 0;
  }

  /** Cheap pre-check: nothing to redact without nine digits in the text. */
  private static boolean hasDigitRun(String text) {
    int digits = 0;
    for (int i = 0; i < text.length() && digits < 9; i++) {
      if (Character.isDigit(text.charAt(i))) digits++;
    }
    return digits >= 9;
  }
}
