package dev.dragonfly.sentinel.alert;

import java.util.Locale;

/** Why an incident is announced in a pass; {@link #NONE} when it is not. */
enum Change {
  /** first announcement: new, or held back until now (silenced, or log only then) */
  OPENED,
  /** its severity rose above what was last sent */
  WORSE,
  /** its severity fell below what was last sent */
  BETTER,
  /** unchanged and still bad after the repeat interval */
  REMINDER,
  /** came back within the flap window after it had resolved: held as one incident from now on */
  FLAPPING,
  /** ok for the clear passes (and, if it flapped, for the whole flap window) */
  RESOLVED,
  NONE;

  String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
