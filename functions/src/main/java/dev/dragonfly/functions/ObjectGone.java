package dev.dragonfly.functions;

import dev.dragonfly.intake.ErrorCode;
import dev.dragonfly.intake.RowError;
import java.util.Optional;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * An S3 object deleted (404) or replaced by a newer upload that brings its own event (412)
 * before it was read. Every path that reads objects (the ingest function, the sentinel's
 * in-process re-drive) records it the same way: the batch fails once with
 * {@code OBJECT_NOT_FOUND}, nothing to retry, nothing to page about.
 */
public final class ObjectGone {
  private ObjectGone() {}

  public static boolean is(S3Exception e) {
    return e.statusCode() == 404 || e.statusCode() == 412;
  }

  /** True when S3 said so anywhere in {@code e}'s causes (the pipeline wraps what the opener threw). */
  public static boolean causedBy(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof S3Exception s3 && is(s3)) return true;
    }
    return false;
  }

  /** The verdict recorded for the batch. */
  public static RowError error() {
    return new RowError(null, null, ErrorCode.OBJECT_NOT_FOUND,
        "the object was deleted or replaced before it could be read; upload it again if it should load");
  }

  /**
   * In a versioned bucket a batch names a version, which S3 keeps after the key is deleted or
   * uploaded again; only the key's current version is what the vendor means. A delete marker as
   * the current version (HEAD of the key: 404) is a deletion ({@link #error()}); another current
   * version is a newer upload, loaded from its own event, which an older version loaded after it
   * would overwrite ({@code OBJECT_SUPERSEDED}). Empty for a current version, or an unversioned
   * object (there the ETag condition of the read does this).
   *
   * @param version the batch's object version: {@code version:<id>} or {@code etag:<etag>}
   */
  public static Optional<RowError> notCurrent(S3Client s3, String bucket, String key, String version) {
    if (!version.startsWith("version:")) return Optional.empty();
    String versionId = version.substring("version:".length());
    HeadObjectResponse current;
    try {
      current = s3.headObject(b -> b.bucket(bucket).key(key));
    } catch (S3Exception e) {
      if (e.statusCode() != 404) throw e;
      return Optional.of(error());
    }
    if (Boolean.TRUE.equals(current.deleteMarker())) return Optional.of(error());
    if (versionId.equals(current.versionId())) return Optional.empty();
    return Optional.of(new RowError(null, null, ErrorCode.OBJECT_SUPERSEDED, "a newer version of the object (version "
        + current.versionId() + ") was uploaded before this one (version " + versionId + ") could be read;"
        + " the newer one is loaded from its own event and this one is not, so that it cannot overwrite it;"
        + " to load this content, upload it again"));
  }
}
