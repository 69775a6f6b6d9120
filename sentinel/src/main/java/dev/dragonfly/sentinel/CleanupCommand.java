package dev.dragonfly.sentinel;

import java.io.PrintWriter;
import dev.dragonfly.intake.DatabaseClock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.jdbi.v3.core.Jdbi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * Prunes what only grows: row errors and dry-run batches older than an age. Never target rows,
 * never the audit, never a batch that loaded rows. A dry run unless {@code --yes}; see
 * runbooks/cleanup.md.
 */
@Command(name = "cleanup", mixinStandardHelpOptions = true,
    description = {"Delete row errors and dry-run batches older than --older-than. Never target rows, never the audit,",
        "never a batch that loaded rows. Without --yes it only counts what it would delete."},
    footer = {"", "Exit codes: 0 done (or counted), 2 bad usage."})
final class CleanupCommand implements Callable<Integer> {
  /** Deleted per statement, so that no delete holds locks or bloats WAL for long. */
  static final int CHUNK = 10_000;

  @ParentCommand SentinelCli root;
  @Spec CommandSpec spec;

  @Option(names = "--older-than", required = true, paramLabel = "DURATION", converter = SentinelCli.DurationConverter.class,
      description = "Age past which to prune, e.g. 30d (at least 1d).")
  Duration olderThan;

  @Option(names = "--yes", description = "Delete; without it, only count.")
  boolean yes;

  @Override public Integer call() {
    if (olderThan.compareTo(Duration.ofDays(1)) < 0) {
      throw new UserMistake("--older-than must be at least 1d: row errors younger than a day are still being read");
    }
    PrintWriter out = spec.commandLine().getOut();
    Jdbi jdbi = root.connector().migratedDatabase().jdbi();
    // ages are judged on the database's clock, the one created_at was written with
    Instant cutoff = jdbi.withHandle(DatabaseClock.DATABASE::now).minus(olderThan);
    long errors = jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM intake.row_errors WHERE created_at < :cutoff")
        .bind("cutoff", cutoff).mapTo(Long.class).one());
    long dryRuns = jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM intake.batches WHERE " + PRUNABLE_DRY_RUN)
        .bind("cutoff", cutoff).mapTo(Long.class).one());
    if (!yes) {
      out.println("would delete " + errors + " row error(s) and " + dryRuns + " dry-run batch(es) older than "
          + cutoff + "; run again with --yes to delete them");
      return ExitCodes.OK;
    }
    long deletedErrors = 0;
    int n;
    do {
      n = jdbi.withHandle(h -> h.createUpdate("""
              DELETE FROM intake.row_errors WHERE ctid IN (
                SELECT ctid FROM intake.row_errors WHERE created_at < :cutoff LIMIT :chunk)""")
          .bind("cutoff", cutoff).bind("chunk", CHUNK).execute());
      deletedErrors += n;
    } while (n > 0);
    long deletedDryRuns = jdbi.inTransaction(h -> {
      h.createUpdate("DELETE FROM intake.row_errors WHERE batch_id IN (SELECT id FROM intake.batches WHERE "
          + PRUNABLE_DRY_RUN + ")").bind("cutoff", cutoff).execute();
      return (long) h.createUpdate("DELETE FROM intake.batches WHERE " + PRUNABLE_DRY_RUN).bind("cutoff", cutoff).execute();
    });
    out.println("deleted " + deletedErrors + " row error(s) and " + deletedDryRuns + " dry-run batch(es) older than " + cutoff);
    return ExitCodes.OK;
  }

  /**
   * A finished dry run past the age that nothing refers to. A dry run never loads a row: its
   * inserted and updated counts are what a real run would have done, not rows it holds.
   */
  private static final String PRUNABLE_DRY_RUN = """
      dry_run AND created_at < :cutoff AND status NOT IN ('staging', 'validating', 'inserting', 'uploaded')
        AND NOT EXISTS (SELECT 1 FROM intake.batches d WHERE d.duplicate_of = intake.batches.id)""";
}
