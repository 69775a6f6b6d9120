package dev.dragonfly.intake;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * How one vendor's files map onto a dataset: header aliases (lower-cased vendor header to
 * canonical column), extra date formats, the default error threshold and abuse limits.
 */
public record SourceProfile(String name, String dataset, Map<String, String> headerAliases,
                            List<String> dateFormats, BigDecimal errorThresholdPercent,
                            long maxFileBytes, long maxRows) {
  public SourceProfile {
    requireNonNull(name, "name == null");
    requireNonNull(dataset, "dataset == null");
    headerAliases = Map.copyOf(headerAliases);
    dateFormats = List.copyOf(dateFormats);
    requireNonNull(errorThresholdPercent, "errorThresholdPercent == null");
    if (maxFileBytes <= 0) throw new IllegalArgumentException("maxFileBytes <= 0: " + maxFileBytes);
    if (maxRows <= 0) throw new IllegalArgumentException("maxRows <= 0: " + maxRows);
  }
}
