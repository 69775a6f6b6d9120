package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.Json;
import dev.dragonfly.intake.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sentinel}, {@code sentinel --json} and the operator commands the runbooks use, as a shell runs them. */
class PassCommandTest {
  private final Database db = TestDatabase.fresh();
  private final Map<String, String> env = Map.of("DATABASE_URL", TestDatabase.jdbcUrl(db), "SENTINEL_INSTANCE", "cli-test");

  private Cli.Run run(String... args) {
    return Cli.run(env, args);
  }

  private Cli.Run runWith(Map<String, String> extra, String... args) {
    return Cli.run(env, extra, args);
  }

  private static void assertNoStackTrace(Cli.Run r) {
    assertThat(r.out() + r.err()).doesNotContain("\tat ").doesNotContain("Exception");
  }

  /** A batch of the last minutes with {@code invalid} of 1000 rows invalid. */
  private void finishedBatch(long invalid) {
    db.jdbi().useHandle(h -> h.createUpdate("""
            INSERT INTO intake.batches (source, object_key, object_version, status, error_threshold_percent,
                                        rows_total, rows_valid, rows_invalid, rows_inserted, rows_updated, rows_unchanged,
                                        started_at, finished_at)
            VALUES ('judgments', 'incoming/judgments/' || gen_random_uuid() || '.csv', 'v1', 'completed', 100,
                    1000, 1000 - :invalid, :invalid, 1000 - :invalid, 0, 0, now(), now())""")
        .bind("invalid", invalid).execute());
  }

  private long stuckBatch(String key) {
    return db.jdbi().withHandle(h -> h.createQuery("""
            INSERT INTO intake.batches (source, object_key, object_version, status, owner_token, heartbeat_at,
                                        started_at, error_threshold_percent)
            VALUES ('judgments', :key, 'v1', 'staging', gen_random_uuid(), now() - interval '10 minutes', now(), 10)
            RETURNING id""").bind("key", key).mapTo(Long.class).one());
  }

  @Test
  void onePassPrintsOneLinePerCheckAndExitsZeroWhenAllIsWell() {
    Cli.Run r = run();

    assertThat(r.exitCode()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("OK       stuck_batches  no stuck batches"));
    assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("OK       database"));
    assertThat(lines.get(lines.size() - 1)).startsWith("OK       self");
    assertThat(lines).allSatisfy(l -> assertThat(l).matches("(OK|SKIPPED) +[a-z_]+ +\\S.*"));
  }

  @Test
  void jsonReportCarriesItsSchemaVersionAndEveryCheckAndExitsWithTheNagiosCodeOfItsVerdict() {
    Cli.Run ok = run("--json");
    assertThat(ok.exitCode()).isZero();
    JsonNode report = Json.readTree(ok.out());
    assertThat(report.path("schema_version").asInt()).isEqualTo(1);
    assertThat(report.path("sentinel").asText()).isEqualTo("cli-test");
    assertThat(report.path("status").asText()).isEqualTo("ok");
    assertThat(report.has("started_at") && report.has("duration_ms")).isTrue();
    List<String> names = new ArrayList<>();
    report.path("checks").forEach(c -> {
      names.add(c.path("check").asText());
      assertThat(c.fieldNames()).toIterable().contains("check", "status", "summary", "details", "findings", "actions");
    });
    assertThat(names).contains("stuck_batches", "error_spike", "database", "self");

    finishedBatch(200); // 20% invalid: a warning
    assertThat(run("--json").exitCode()).isEqualTo(1);
    finishedBatch(1000); // 60% of 2000: critical
    Cli.Run critical = run("--json");
    assertThat(critical.exitCode()).isEqualTo(2);
    assertThat(Json.readTree(critical.out()).path("status").asText()).isEqualTo("critical");
  }

  @Test
  void withTheDatabaseUnreachableThePassIsUnknownExitsThreeAndSaysSoInOneLine() {
    Cli.Run r = Cli.run(Map.of("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none"), "--json");

    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(Json.readTree(r.out()).path("status").asText()).isEqualTo("unknown");
    assertThat(r.err().lines()).singleElement().satisfies(l -> assertThat(l)
        .startsWith("error: cannot reach the database at jdbc:postgresql://127.0.0.1:1/none (user nobody); the checks that need it are unknown"));
    assertNoStackTrace(r);
  }

  @Test
  void aPassWhoseDatabaseCannotBeOpenedAtAllIsUnknownAndExitsThreeOnceOrInALoop(@TempDir Path dir) throws Exception {
    Path notADirectory = Files.writeString(dir.resolve("home"), "a file where the embedded database would live");
    for (String[] args : List.of(new String[] {"--json"}, new String[] {}, new String[] {"--loop", "--port", "0"})) {
      Cli.Run r = Cli.run(Map.of("DRAGONFLY_HOME", notADirectory.toString(), "SENTINEL_INSTANCE", "cli-test"), args);
      assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.err()).isEqualTo(3);
      assertThat(r.err().lines()).as(String.join(" ", args)).singleElement().satisfies(l -> assertThat(l)
          .startsWith("error: cannot reach the database (cannot start the embedded PostgreSQL in ")
          .endsWith(", or set DATABASE_URL to use a server)"));
      assertNoStackTrace(r);
    }
    Cli.Run malformed = Cli.run(Map.of("DATABASE_URL", "postgresql://nobody@/none"), "--json");
    assertThat(malformed.exitCode()).as(malformed.err()).isEqualTo(3);
    assertThat(malformed.err()).isEqualTo("error: DATABASE_URL has no host" + System.lineSeparator());
  }

  @Test
  void badUsageOfThePassExitsThreeWithOneClearLine() {
    Map<String[], String> mistakes = Map.of(
        new String[] {"--json", "--bogus"}, "error: unknown option '--bogus'",
        new String[] {"--interval", "10s"}, "error: --interval and --port go with --loop",
        new String[] {"--loop", "--interval", "soon"}, "error: --interval: 'soon' is not a duration");
    mistakes.forEach((args, expected) -> {
      Cli.Run r = run(args);
      assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(3);
      assertThat(r.err()).as(String.join(" ", args)).startsWith(expected);
      assertNoStackTrace(r);
    });
    try (var taken = new java.net.ServerSocket(0)) {
      Cli.Run busy = run("--loop", "--port", Integer.toString(taken.getLocalPort()));
      assertThat(busy.exitCode()).isEqualTo(3);
      assertThat(busy.err()).isEqualTo("error: port " + taken.getLocalPort()
          + " is in use; choose another with --port or SENTINEL_HTTP_PORT" + System.lineSeparator());
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    Cli.Run badEnv = runWith(Map.of("SENTINEL_INTERVAL", "often"), "--json");
    assertThat(badEnv.exitCode()).isEqualTo(3);
    assertThat(badEnv.err()).isEqualTo("error: SENTINEL_INTERVAL: 'often' is not a duration; write it as 10s, 5m, 24h or 30d"
        + System.lineSeparator());
  }

  @Test
  void aStuckLocalBatchIsReDrivenInProcessAndTheAuditShowsIt(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("stuck.csv");
    Files.writeString(file, dev.dragonfly.intake.Fixtures.csv(dev.dragonfly.intake.Fixtures.row("C-1"),
        dev.dragonfly.intake.Fixtures.row("C-2")));
    assertThat(run("audit").out()).isEqualTo("no self-heals in the last 24 h" + System.lineSeparator());
    long id = stuckBatch(file.toString());

    Cli.Run pass = run();

    assertThat(pass.exitCode()).isEqualTo(1);
    assertThat(pass.out()).contains("WARNING  stuck_batches  batch " + id + " re-driven");
    assertThat(run("batch", "show", Long.toString(id)).out()).contains("status        completed");
    Cli.Run audit = run("audit", "--since", "1h");
    assertThat(audit.out().lines()).singleElement().satisfies(l -> assertThat(l)
        .contains("cli-test  stuck_batches  batch " + id + "  redrive: staging, attempt 1, heartbeat silent for 10 min")
        .contains("-> uploaded, re-drive 1 of 3 (in process)"));
    assertThat(Json.readTree(run("audit", "--json").out()).path("action").asText()).isEqualTo("redrive");
  }

  @Test
  void batchFailFailsAStuckBatchAndRefusesALiveOrDecidedOne() {
    long stuck = stuckBatch("incoming/judgments/stuck.csv");
    Cli.Run failed = run("batch", "fail", Long.toString(stuck), "--reason", "vendor withdrew the file");
    assertThat(failed.exitCode()).as(failed.err()).isZero();
    assertThat(failed.out()).isEqualTo("batch " + stuck + " failed (was staging): vendor withdrew the file" + System.lineSeparator());
    assertThat(run("batch", "show", Long.toString(stuck)).out()).contains("failed by an operator: vendor withdrew the file");

    Cli.Run again = run("batch", "fail", Long.toString(stuck), "--reason", "twice");
    assertThat(again.exitCode()).isEqualTo(ExitCodes.REFUSED);
    assertThat(again.err()).startsWith("refused FAIL_REFUSED: batch " + stuck + " is already failed");

    long alive = db.jdbi().withHandle(h -> h.createQuery("""
            INSERT INTO intake.batches (source, object_key, object_version, status, owner_token, heartbeat_at,
                                        started_at, error_threshold_percent)
            VALUES ('judgments', 'incoming/judgments/alive.csv', 'v1', 'inserting', gen_random_uuid(), now(), now(), 10)
            RETURNING id""").mapTo(Long.class).one());
    Cli.Run refused = run("batch", "fail", Long.toString(alive), "--reason", "impatient");
    assertThat(refused.exitCode()).isEqualTo(ExitCodes.REFUSED);
    assertThat(refused.err()).contains("its worker is alive");
    assertThat(run("batch", "fail", "999", "--reason", "x").exitCode()).isEqualTo(ExitCodes.USAGE);
  }

  @Test
  void cleanupCountsUnlessToldYesAndPrunesOnlyOldRowErrorsAndOldDryRunsEvenOnesThatPredictedLoadedRows() {
    run("migrate");
    db.jdbi().useHandle(h -> h.execute("""
        INSERT INTO intake.batches (id, source, object_key, object_version, status, dry_run, error_threshold_percent,
                                    rows_total, rows_valid, rows_invalid, rows_inserted, rows_updated, rows_unchanged,
                                    created_at, finished_at)
        OVERRIDING SYSTEM VALUE VALUES
          (1, 'judgments', 'incoming/judgments/old.csv', 'v1', 'completed', false, 10, 2, 1, 1, 1, 0, 0,
           now() - interval '40 days', now() - interval '40 days'),
          (2, 'judgments', 'incoming/judgments/dry-run/old.csv', 'v1', 'completed', true, 10, 2, 1, 1, 1, 0, 0,
           now() - interval '40 days', now() - interval '40 days'),
          (3, 'judgments', 'incoming/judgments/dry-run/new.csv', 'v1', 'completed', true, 10, 2, 1, 1, 0, 0, 0,
           now() - interval '2 days', now() - interval '2 days'),
          (4, 'judgments', 'incoming/judgments/dry-run/named.csv', 'v1', 'completed', true, 10, 2, 1, 1, 1, 0, 0,
           now() - interval '40 days', now() - interval '40 days');
        -- a recent dry run of the same content names batch 4: batch 4 must stay while it does
        INSERT INTO intake.batches (id, source, object_key, object_version, status, dry_run, error_threshold_percent,
                                    duplicate_of, created_at, finished_at)
        OVERRIDING SYSTEM VALUE VALUES
          (5, 'judgments', 'incoming/judgments/dry-run/named-again.csv', 'v1', 'duplicate', true, 10, 4,
           now() - interval '2 days', now() - interval '2 days');
        INSERT INTO intake.row_errors (batch_id, attempt, record_number, code, message, created_at) VALUES
          (1, 1, 2, 'INVALID_AMOUNT', 'old error', now() - interval '40 days'),
          (2, 1, 2, 'INVALID_AMOUNT', 'old dry-run error', now() - interval '40 days'),
          (3, 1, 2, 'INVALID_AMOUNT', 'recent dry-run error', now() - interval '2 days');
        INSERT INTO intake.sentinel_audit (at, instance, check_name, subject, action)
          VALUES (now() - interval '90 days', 'old', 'stuck_batches', 'batch 1', 'redrive')"""));

    Cli.Run counted = run("cleanup", "--older-than", "30d");
    assertThat(counted.exitCode()).isZero();
    assertThat(counted.out()).startsWith("would delete 2 row error(s) and 1 dry-run batch(es) older than ")
        .endsWith("; run again with --yes to delete them" + System.lineSeparator());
    assertThat(count("SELECT count(*) FROM intake.row_errors")).isEqualTo(3);

    Cli.Run deleted = run("cleanup", "--older-than", "30d", "--yes");
    assertThat(deleted.out()).startsWith("deleted 2 row error(s) and 1 dry-run batch(es) older than ");
    assertThat(count("SELECT count(*) FROM intake.batches")).isEqualTo(4); // the loaded batch, the recent dry runs, the one named
    assertThat(count("SELECT count(*) FROM intake.batches WHERE id IN (1, 3, 4, 5)")).isEqualTo(4);
    assertThat(count("SELECT count(*) FROM intake.row_errors")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM intake.sentinel_audit")).isEqualTo(1);
    assertThat(run("batch", "errors", "1").out()).isEqualTo("batch 1 had 1 invalid row(s), but their row errors "
        + "were pruned by 'sentinel cleanup' (they are kept for its --older-than age)" + System.lineSeparator());

    Cli.Run tooYoung = run("cleanup", "--older-than", "2h");
    assertThat(tooYoung.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(tooYoung.err()).startsWith("error: --older-than must be at least 1d");
  }

  private long count(String sql) {
    return db.jdbi().withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());
  }
}
