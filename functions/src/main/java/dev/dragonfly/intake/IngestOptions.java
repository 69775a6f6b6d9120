package dev.dragonfly.intake;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Optional;

/**
 * Per-run choices: validate without loading, this batch's error threshold in percent
 * (overrides the source profile's), and a deadline: a run still going then gives its batch back
 * for a retry instead of being killed holding it (a Lambda function's timeout).
 */
public record IngestOptions(boolean dryRun, Optional<BigDecimal> thresholdPercent, Optional<Instant> deadline) {
  public static final IngestOptions DEFAULT = new IngestOptions(false, Optional.empty(), Optional.empty());

  public IngestOptions {
    requireNonNull(thresholdPercent, "thresholdPercent == null");
    requireNonNull(deadline, "deadline == null");
    thresholdPercent.ifPresent(t -> {
      if (t.signum() < 0 || t.compareTo(BigDecimal.valueOf(100)) > 0)
        throw new IllegalArgumentException("threshold must be between 0 and 100 percent: " + t.toPlainString());
    });
  }

  public IngestOptions withDryRun(boolean dryRun) {
    return new IngestOptions(dryRun, thresholdPercent, deadline);
  }

  public IngestOptions withThreshold(BigDecimal percent) {
    return new IngestOptions(dryRun, Optional.of(percent), deadline);
  }

  public IngestOptions withDeadline(Instant deadline) {
    return new IngestOptions(dryRun, thresholdPercent, Optional.of(deadline));
  }
}
