package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.SourceProfiles;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The checks a sentinel pass runs today: the database answers, its schema is current, source
 * profiles exist. Shared by {@code doctor} and the scheduled sentinel function; the pipeline
 * checks (stuck batches, error spikes, …) join it with the sentinel work.
 */
final class HealthPass {
  private HealthPass() {}

  /** One line of the verdict: ok or not, and what was found or what to run. */
  record Finding(String check, boolean ok, String detail) {
    String line() {
      return (ok ? "ok   " : "FAIL ") + check + ": " + detail;
    }
  }

  /** Runs the checks in order, stopping at the first one the rest depend on. */
  static List<Finding> run(Supplier<Database> connect, String where) {
    List<Finding> findings = new ArrayList<>();
    Database db;
    String version;
    try {
      db = connect.get();
      version = db.jdbi().withHandle(h -> h.createQuery("SHOW server_version").mapTo(String.class).one());
    } catch (RuntimeException e) {
      Throwable cause = e;
      while (cause.getCause() != null) cause = cause.getCause(); // the driver's words, not the wrapping class names
      String said = cause.getMessage() != null ? cause.getMessage() : "no answer";
      findings.add(new Finding("database", false, "cannot reach " + where + ": " + said
          + "; check DATABASE_URL (host, port, user, password) and that the server runs, or unset it to use the embedded database"));
      return findings;
    }
    findings.add(new Finding("database", true, "PostgreSQL " + version + " at " + where));
    int pending = db.pendingMigrations();
    if (pending > 0) {
      findings.add(new Finding("migrations", false, pending + " pending (schema at " + db.schemaVersion()
          + "); run 'sentinel migrate'"));
      return findings;
    }
    findings.add(new Finding("migrations", true, "current (schema at version " + db.schemaVersion() + ")"));
    findings.add(new Finding("sources", true, String.join(", ", new SourceProfiles(db.jdbi()).names())));
    return findings;
  }

  static boolean healthy(List<Finding> findings) {
    return findings.stream().allMatch(Finding::ok);
  }
}
