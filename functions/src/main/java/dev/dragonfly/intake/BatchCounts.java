package dev.dragonfly.intake;

/** A batch's row counts; they reconcile: total = valid + invalid, valid = inserted + updated + unchanged. */
public record BatchCounts(long total, long valid, long invalid, long inserted, long updated, long unchanged) {
  public static final BatchCounts NONE = new BatchCounts(0, 0, 0, 0, 0, 0);

  public boolean reconciles() {
    return total == valid + invalid && valid == inserted + updated + unchanged;
  }
}
