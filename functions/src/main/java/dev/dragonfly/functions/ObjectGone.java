package dev.dragonfly.functions;

import dev.dragonfly.intake.ErrorCode;
import dev.dragonfly.intake.RowError;
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
}
