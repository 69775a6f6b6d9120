package dev.dragonfly.intake;

/**
 * Quotes text for a POSIX shell, for every command a hint or an alert builds from what a vendor
 * sent (a header in {@code sentinel source add … --alias '<header>=<column>'}): the operator who
 * copies the command must get one argument holding exactly that text, whatever quotes,
 * semicolons, {@code $(…)} or backticks it contains.
 */
public final class ShellQuote {
  private ShellQuote() {}

  /** One shell word: inside single quotes nothing is special, so only a single quote is closed, escaped and reopened. */
  public static String quote(String text) {
    return "'" + text.replace("'", "'\\''") + "'";
  }
}
