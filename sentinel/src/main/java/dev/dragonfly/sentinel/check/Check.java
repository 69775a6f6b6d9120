package dev.dragonfly.sentinel.check;

import java.time.Instant;

/**
 * One thing the sentinel watches. A check looks, heals what it safely can, and says what it
 * found; {@code Sentinel} runs it with a time limit and turns a throw or a timeout into an
 * {@link Status#UNKNOWN} result, so a check only reports what it could actually see.
 */
public interface Check {
  /** The stable name: report key, metric label, runbook page ({@code stuck_batches} is runbooks/stuck-batches.md). */
  String name();

  /** Runs once at {@code now} (the pass's clock reading; never the wall clock). */
  CheckResult run(Instant now) throws Exception;
}
