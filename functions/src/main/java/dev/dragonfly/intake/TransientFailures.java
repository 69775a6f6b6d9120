package dev.dragonfly.intake;

import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Database failures that a second try fixes (a deadlock, a serialization failure, a dropped or
 * refused connection), retried in process a bounded number of times with backoff before the
 * failure goes back to the caller (for a Lambda function: back to Lambda, which retries the
 * event). Each try is a new attempt of the batch: the failed one gave its claim back.
 */
public final class TransientFailures {
  private static final Logger log = LoggerFactory.getLogger(TransientFailures.class);
  static final Duration BACKOFF_FIRST = Duration.ofMillis(200);
  static final Duration BACKOFF_MAX = Duration.ofSeconds(5);

  /** serialization_failure, deadlock_detected, too_many_connections, admin/crash shutdown, cannot_connect_now. */
  private static final Set<String> STATES = Set.of("40001", "40P01", "53300", "57P01", "57P02", "57P03");

  private TransientFailures() {}

  /** True when {@code failure}, or what caused it, is a database failure worth one more try. */
  public static boolean isTransient(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ClaimLostException) return false; // another worker has it: retrying would only lose again
      if (t instanceof DatabaseUnavailableException) return true;
      if (t instanceof SQLException e && e.getSQLState() != null
          && (STATES.contains(e.getSQLState()) || e.getSQLState().startsWith("08"))) {
        return true; // class 08: connection exception
      }
    }
    return false;
  }

  /** Runs {@code work}, again after a transient database failure, at most {@code retries} more times. */
  public static <T> T retry(int retries, Supplier<T> work) {
    RetryPolicy<T> policy = RetryPolicy.<T>builder()
        .handleIf(TransientFailures::isTransient)
        .withMaxRetries(retries)
        .withBackoff(BACKOFF_FIRST, BACKOFF_MAX)
        .withJitter(0.25)
        .onRetry(e -> log.warn("transient database failure, try {} of {}: {}", e.getAttemptCount() + 1,
            retries + 1, describe(e.getLastException())))
        .build();
    return Failsafe.with(policy).get(work::get);
  }

  /** One line for logs and {@code last_error}: the database's state code and message, no row values. */
  public static String describe(Throwable failure) {
    if (failure instanceof IntakeException) return firstLine(failure.getMessage()); // already says it plainly
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLException e && e.getSQLState() != null) {
        return "database error " + e.getSQLState() + ": " + firstLine(e.getMessage());
      }
    }
    String message = failure.getMessage();
    return message == null ? failure.getClass().getSimpleName() : firstLine(message);
  }

  private static String firstLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
