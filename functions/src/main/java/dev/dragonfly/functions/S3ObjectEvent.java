package dev.dragonfly.functions;

import static java.util.Objects.requireNonNull;

/**
 * One S3 ObjectCreated notification: the bucket, the key already URL-decoded as S3 encodes
 * it in events ({@code +} is a space, {@code %2B} a plus), and what identifies this version.
 */
public record S3ObjectEvent(String bucket, String key, long size, String eTag, String versionId) {
  public S3ObjectEvent {
    requireNonNull(bucket, "bucket == null");
    requireNonNull(key, "key == null");
  }

  /**
   * The version recorded with the batch: the S3 version id in a versioned bucket, else the
   * ETag. Prefixed so that a re-drive knows which one it holds.
   */
  public String version() {
    if (versionId != null && !versionId.isBlank() && !versionId.equals("null")) return "version:" + versionId;
    return "etag:" + (eTag == null ? "" : eTag);
  }
}
