package dev.dragonfly.intake;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.util.Optional;

/**
 * Per-run choices: validate without loading, and this batch's error threshold in percent
 * (overrides the source profile's).
 */
public record IngestOptions(boolean dryRun, Optional<BigDecimal> thresholdPercent) {
  public static final IngestOptions DEFAULT = new IngestOptions(false, Optional.empty());

  public IngestOptions {
    requireNonNull(thresholdPercent, "thresholdPercent == null");
    thresholdPercent.ifPresent(t -> {
      if (t.signum() < 0 || t.compareTo(BigDecimal.valueOf(100)) > 0)
        throw new IllegalArgumentException("threshold must be between 0 and 100 percent: " + t.toPlainString());
    });
  }

  public IngestOptions withDryRun(boolean dryRun) {
    return new IngestOptions(dryRun, thresholdPercent);
  }

  public IngestOptions withThreshold(BigDecimal percent) {
    return new IngestOptions(dryRun, Optional.of(percent));
  }
}
