package dev.dragonfly.sentinel;

/** Exit codes of the operator subcommands (README "Exit codes"). */
final class ExitCodes {
  private ExitCodes() {}

  /** Done: a completed or duplicate batch, or a command that did what it was asked. */
  static final int OK = 0;
  /** The run failed for a reason that is not the input's fault: database, I/O, a bug. Retry. */
  static final int RUN_FAILED = 1;
  /** Bad usage: unknown flag, missing file, unknown source, bad value. Nothing was done. */
  static final int USAGE = 2;
  /** The batch was rejected (status failed); its errors say why. */
  static final int REJECTED = 3;
  /** Another worker holds a live claim on this file; nothing was done. Retry later. */
  static final int IN_PROGRESS = 4;
  /** An operation was refused to protect data (a rollback that would erase a later batch). */
  static final int REFUSED = 5;
  /** A pass that could not run or was called wrongly (Nagios UNKNOWN); a pass's other codes are its verdict's. */
  static final int PASS_UNKNOWN = 3;
  /** doctor found a problem, or pgrst-reload could not verify its reload. */
  static final int UNHEALTHY = 6;
}
