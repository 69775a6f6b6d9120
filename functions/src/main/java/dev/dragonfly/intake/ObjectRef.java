package dev.dragonfly.intake;

import static java.util.Objects.requireNonNull;

/**
 * The identity of one input object: its source, its key (an S3 key or a local path) and its
 * version (an S3 version id or ETag; size and modification time for a local file). One object
 * version becomes at most one batch.
 */
public record ObjectRef(String source, String key, String version) {
  public ObjectRef {
    requireNonNull(source, "source == null");
    requireNonNull(key, "key == null");
    requireNonNull(version, "version == null");
  }
}
