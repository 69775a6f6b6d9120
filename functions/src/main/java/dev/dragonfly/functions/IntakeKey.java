package dev.dragonfly.functions;

import dev.dragonfly.intake.ErrorCode;
import java.util.regex.Pattern;

/**
 * What an object key says, trusted no further than it can be checked: the key must be
 * {@code incoming/<source>/<file>} (deeper folders allowed), the source a profile-shaped name,
 * and no segment may be empty, {@code .} or {@code ..}. A file under
 * {@code incoming/<source>/dry-run/} is a vendor's dry run. Results go to
 * {@code results/<source>/<file>.<batch>.*}, so a key can never write outside its source.
 */
public record IntakeKey(String source, String fileName, boolean dryRun) {
  static final String INCOMING = "incoming/";
  /** {@code incoming/<source>/dry-run/<file>}: validate and report, load nothing. */
  static final String DRY_RUN_FOLDER = "dry-run";
  private static final Pattern SOURCE = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

  /** Thrown for a key the intake will not read. */
  public static final class Refused extends RuntimeException {
    private final ErrorCode code;

    Refused(ErrorCode code, String message) {
      super(message, null, false, false);
      this.code = code;
    }

    public ErrorCode code() {
      return code;
    }
  }

  public static IntakeKey parse(String key) {
    if (!key.startsWith(INCOMING)) {
      throw new Refused(ErrorCode.INVALID_KEY, "key is outside " + INCOMING + "; vendors upload to incoming/<source>/<file>.csv");
    }
    String[] segments = key.substring(INCOMING.length()).split("/", -1);
    if (segments.length < 2) {
      throw new Refused(ErrorCode.INVALID_KEY, "key names no source folder; upload to incoming/<source>/<file>.csv");
    }
    for (String s : segments) {
      if (s.isEmpty() || s.equals(".") || s.equals("..") || s.chars().anyMatch(c -> c < 0x20)) {
        throw new Refused(ErrorCode.INVALID_KEY, "key has an empty, '.', '..' or control-character segment");
      }
    }
    if (!SOURCE.matcher(segments[0]).matches()) {
      throw new Refused(ErrorCode.UNKNOWN_SOURCE, "the source folder is not a valid source name");
    }
    boolean dryRun = segments.length > 2 && segments[1].equals(DRY_RUN_FOLDER);
    return new IntakeKey(segments[0], segments[segments.length - 1], dryRun);
  }

  /** Where this file's results go, next to each other. */
  public String resultKey(long batchId, String suffix) {
    return "results/" + source + "/" + (dryRun ? DRY_RUN_FOLDER + "/" : "") + fileName + "." + batchId + "." + suffix;
  }

  public boolean gzipped() {
    return fileName.endsWith(".gz");
  }
}
