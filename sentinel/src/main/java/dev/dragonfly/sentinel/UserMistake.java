package dev.dragonfly.sentinel;

/** A mistake in how the command was called, reported as one line with exit code 2. */
final class UserMistake extends RuntimeException {
  UserMistake(String message) {
    super(message, null, false, false);
  }
}
