package dev.dragonfly.intake;

import java.util.List;

/** No source profile has the given name; the intake never guesses one. */
public final class UnknownSourceException extends IntakeException {
  public UnknownSourceException(String source, List<String> known) {
    super("unknown source '" + source + "': known sources are " + known
        + "; add a source profile before sending its files");
  }

  @Override public String code() {
    return ErrorCode.UNKNOWN_SOURCE.name();
  }

  @Override public boolean isUserError() {
    return true;
  }
}
