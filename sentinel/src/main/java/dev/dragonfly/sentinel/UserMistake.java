package dev.dragonfly.sentinel;

/** A mistake in how the command was called, reported as one line with exit code 2. */
final class UserMistake extends RuntimeException {
  private final String code;

  UserMistake(String message) {
    this(null, message);
  }

  /** With a code: printed {@code error CODE: message}, as the intake's own errors are. */
  UserMistake(String code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  /** The line to print. */
  String line() {
    return code == null ? "error: " + getMessage() : "error " + code + ": " + getMessage();
  }
}
