package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every pass does first: bring the schema up to this build (one query when it is current). */
final class PassPreparation {
  private static final Logger log = LoggerFactory.getLogger(PassPreparation.class);

  private PassPreparation() {}

  /** Migrates when behind; false when the database did not answer (the pass then reports unknowns). */
  static boolean migrate(Database db) {
    try {
      db.migrateIfBehind();
      return true;
    } catch (RuntimeException e) {
      log.warn("cannot reach the database before the pass: {}", dev.dragonfly.intake.TransientFailures.describe(e));
      return false;
    }
  }
}
