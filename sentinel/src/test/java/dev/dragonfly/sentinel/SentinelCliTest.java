package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dragonfly.intake.Json;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The executable as an operator uses it: exit codes, output, help and bad arguments. */
class SentinelCliTest {
  private static final AtomicInteger NEXT = new AtomicInteger();
  private static EmbeddedPostgres server;
  private static final String HEADER = "case_number,plaintiff_name,defendant_name,judgment_amount,judgment_date";

  @TempDir Path dir;
  private final String databaseUrl = newDatabase();

  @BeforeAll
  static void startServer() throws IOException {
    server = EmbeddedPostgres.builder().start();
  }

  @AfterAll
  static void stopServer() throws IOException {
    server.close();
  }

  private static String newDatabase() {
    String name = "cli_" + NEXT.incrementAndGet();
    try (Connection c = server.getPostgresDatabase().getConnection()) {
      c.createStatement().execute("CREATE DATABASE " + name);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return "postgresql://postgres@localhost:" + server.getPort() + "/" + name;
  }

  private Cli.Run run(String... args) {
    return runWith(Map.of("DATABASE_URL", databaseUrl), args);
  }

  private static Cli.Run runWith(Map<String, String> env, String... args) {
    return Cli.run(env, args);
  }

  private Path file(String name, String... rows) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, HEADER + "\n" + String.join("\n", rows) + "\n");
    return p;
  }

  private static void assertNoStackTrace(Cli.Run r) {
    assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception");
  }

  @Test
  void helpListsTheCommands() {
    Cli.Run r = run("--help");

    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("migrate", "ingest", "batch", "doctor", "DATABASE_URL", "Exit codes");
  }

  @Test
  void everySubcommandHasHelp() {
    for (String[] args : new String[][] {{"ingest", "--help"}, {"migrate", "--help"}, {"doctor", "--help"},
        {"batch", "--help"}, {"batch", "list", "--help"}, {"batch", "show", "--help"}, {"batch", "errors", "--help"}, {"batch", "reingest", "--help"},
        {"batch", "rollback", "--help"}, {"source", "--help"}, {"source", "add", "--help"},
        {"source", "list", "--help"}}) {
      Cli.Run r = run(args);
      assertThat(r.exitCode()).as(String.join(" ", args)).isZero();
      assertThat(r.out()).as(String.join(" ", args)).startsWith("Usage: sentinel " + args[0]);
    }
  }

  @Test
  void ingestPrintsOneLineAndExitsZero() throws IOException {
    Cli.Run r = run("ingest", file("ok.csv", "C-1,Acme,Jane,1.00,2024-03-01", "C-2,Acme,John,2.00,2024-03-02").toString(),
        "--source", "judgments");

    assertThat(r.exitCode()).isEqualTo(ExitCodes.OK);
    assertThat(r.out()).isEqualTo("batch 1 completed: 2 rows, 2 valid, 0 invalid; 2 inserted, 0 updated, 0 unchanged"
        + System.lineSeparator());
  }

  @Test
  void ingestJsonHasTheSpecFields() throws IOException {
    Path f = file("mixed.csv", "C-1,Acme,Jane,1.00,2024-03-01", "C-2,Acme,John,oops,2024-03-02");

    Cli.Run r = run("ingest", f.toString(), "--source", "judgments", "--json", "--threshold", "50");

    assertThat(r.exitCode()).isEqualTo(ExitCodes.OK);
    JsonNode json = Json.MAPPER.readTree(r.out());
    assertThat(json.get("batch_id").asLong()).isEqualTo(1);
    assertThat(json.get("status").asText()).isEqualTo("completed");
    assertThat(json.get("rows_total").asLong()).isEqualTo(2);
    assertThat(json.get("rows_valid").asLong()).isEqualTo(1);
    assertThat(json.get("rows_invalid").asLong()).isEqualTo(1);
    assertThat(json.get("rows_inserted").asLong()).isEqualTo(1);
    assertThat(json.get("rows_updated").asLong()).isZero();
    assertThat(json.get("rows_unchanged").asLong()).isZero();
    assertThat(json.get("errors_by_code").get("INVALID_AMOUNT").asLong()).isEqualTo(1);
    assertThat(json.get("rejection_reason").isNull()).isTrue();
    assertThat(json.get("duplicate_of").isNull()).isTrue();

    Cli.Run again = run("ingest", f.toString(), "--source", "judgments", "--json");
    JsonNode dup = Json.MAPPER.readTree(again.out());
    assertThat(again.exitCode()).isEqualTo(ExitCodes.OK);
    assertThat(dup.get("status").asText()).isEqualTo("duplicate");
    assertThat(dup.get("duplicate_of").asLong()).isEqualTo(1);
  }

  @Test
  void rejectedBatchExitsThreeWithTheReason() throws IOException {
    Cli.Run r = run("ingest", file("bad.csv", "C-1,Acme,Jane,1.00,2024-03-01", "C-2,Acme,John,x,2024-03-02").toString(),
        "--source", "judgments");

    assertThat(r.exitCode()).isEqualTo(ExitCodes.REJECTED);
    assertThat(r.out()).startsWith("batch 1 rejected: error rate 50.0% > 10.0% threshold");

    Cli.Run errors = run("batch", "errors", "1", "--csv");
    assertThat(errors.exitCode()).isZero();
    assertThat(errors.out()).isEqualTo("record_number,column,code,message\r\n"
        + ",,ERROR_RATE_EXCEEDED,error rate 50.0% > 10.0% threshold\r\n"
        + "3,judgment_amount,INVALID_AMOUNT,\"judgment_amount must be a plain number >= 0 with at most 2 decimals"
        + " and below 10000000000, like 1234.50\"\r\n");
  }

  @Test
  void malformedFileIsRejectedWithoutAStackTrace() throws IOException {
    Path f = dir.resolve("broken.csv");
    Files.writeString(f, HEADER + "\nC-1,\"Acme,Jane,1.00,2024-03-01\n");

    Cli.Run r = run("ingest", f.toString(), "--source", "judgments");

    assertThat(r.exitCode()).isEqualTo(ExitCodes.REJECTED);
    assertThat(r.out()).contains("MALFORMED_CSV");
    assertNoStackTrace(r);
  }

  @Test
  void userMistakesGetOneClearLineAndExitTwo() throws IOException {
    Path ok = file("ok.csv", "C-1,Acme,Jane,1.00,2024-03-01");
    Map<String[], String> mistakes = Map.of(
        new String[] {"ingest", dir.resolve("missing.csv").toString(), "--source", "judgments"}, "error NO_SUCH_FILE: no such file: ",
        new String[] {"ingest", ok.toString(), "--source", "nobody"}, "error UNKNOWN_SOURCE: unknown source 'nobody'",
        new String[] {"ingest", ok.toString(), "--source", "judgments", "--bogus"}, "error: unknown option '--bogus'",
        new String[] {"ingest", ok.toString()}, "error: missing --source S",
        new String[] {"ingest", ok.toString(), "--source", "judgments", "--threshold", "150"},
        "error: --threshold: threshold must be between 0 and 100 percent: 150",
        new String[] {"ingest", ok.toString(), "--source", "judgments", "--threshold", "ten"},
        "error: --threshold: 'ten' is not a number of percent such as 12.5",
        new String[] {"batch", "show", "42"}, "error BATCH_NOT_FOUND: batch 42 not found",
        new String[] {"batch", "show", "x"}, "error: ID must be a whole number: 'x'",
        new String[] {"nonsense"}, "error: unknown command 'nonsense'");
    mistakes.forEach((args, expected) -> {
      Cli.Run r = run(args);
      assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(ExitCodes.USAGE);
      assertThat(r.err()).as(String.join(" ", args)).startsWith(expected);
      assertThat(r.err().lines().count()).as(String.join(" ", args)).isLessThanOrEqualTo(2);
      assertNoStackTrace(r);
    });
  }

  @Test
  void unreachableDatabaseIsARunFailureWithoutAStackTrace() throws IOException {
    Cli.Run r = runWith(Map.of("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none"),
        "ingest", file("ok.csv", "C-1,Acme,Jane,1.00,2024-03-01").toString(), "--source", "judgments");

    assertThat(r.exitCode()).isEqualTo(ExitCodes.RUN_FAILED);
    assertThat(r.err()).startsWith("error DATABASE_UNAVAILABLE: ");
    assertNoStackTrace(r);
  }

  @Test
  void rollbackRefusedExitsFiveNamingTheLaterBatch() throws IOException {
    run("ingest", file("a.csv", "C-1,Acme,Jane,1.00,2024-03-01").toString(), "--source", "judgments");
    run("ingest", file("b.csv", "C-1,Acme,Jane,9.00,2024-03-01").toString(), "--source", "judgments");

    Cli.Run refused = run("batch", "rollback", "1", "--reason", "test");
    assertThat(refused.exitCode()).as(refused.err()).isEqualTo(ExitCodes.REFUSED);
    assertThat(refused.err()).startsWith("refused ROLLBACK_REFUSED: batch 2 has since changed or re-delivered 1 row(s)");

    assertThat(run("batch", "rollback", "2", "--reason", "test").exitCode()).isZero();
    Cli.Run ok = run("batch", "rollback", "1", "--reason", "test");
    assertThat(ok.exitCode()).isZero();
    assertThat(ok.out()).startsWith("batch 1 rolled back: 0 row(s) restored");
    Cli.Run again = run("batch", "rollback", "1", "--reason", "test");
    assertThat(again.exitCode()).isZero();
    assertThat(again.out()).contains("already rolled back");
    Cli.Run missingReason = run("batch", "rollback", "1");
    assertThat(missingReason.exitCode()).isEqualTo(ExitCodes.USAGE);
  }

  @Test
  void reingestRunsARejectedBatchAgainAsANewAttempt() throws IOException {
    Path f = file("bad.csv", "C-1,Acme,Jane,1.00,2024-03-01", "C-2,Acme,John,x,2024-03-02");
    assertThat(run("ingest", f.toString(), "--source", "judgments").exitCode()).isEqualTo(ExitCodes.REJECTED);

    Cli.Run again = run("batch", "reingest", "1", "--reason", "vendor agreed to 50%", "--threshold", "50");

    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(again.out()).startsWith("batch 1 completed: 2 rows, 1 valid, 1 invalid; 1 inserted");
    assertThat(run("batch", "show", "1").out()).contains("attempt       2").doesNotContain("rejection");
    assertThat(run("batch", "errors", "1").out()).isEqualTo("record 3 judgment_amount INVALID_AMOUNT: judgment_amount"
        + " must be a plain number >= 0 with at most 2 decimals and below 10000000000, like 1234.50"
        + System.lineSeparator());

    Cli.Run refused = run("batch", "reingest", "1", "--reason", "again");
    assertThat(refused.exitCode()).isEqualTo(ExitCodes.REFUSED);
    assertThat(refused.err()).startsWith("refused REINGEST_REFUSED: batch 1 is completed; a loaded file is not loaded twice");
  }

  @Test
  void reingestOfAnS3BatchReleasesItForTheFunction() throws Exception {
    run("migrate");
    try (Connection c = java.sql.DriverManager.getConnection("jdbc:" + databaseUrl.replace("postgres@", "") + "?user=postgres")) {
      c.createStatement().execute("""
          INSERT INTO intake.batches (source, object_key, object_version, status, error_threshold_percent, rejection_reason)
          VALUES ('judgments', 'incoming/judgments/march.csv', 'etag:abc', 'failed', 10, 'error rate 50.0% > 10.0% threshold')""");
    }

    Cli.Run r = run("batch", "reingest", "1", "--reason", "profile fixed");

    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).startsWith("batch 1 released for re-drive; publish {\"type\": \"redrive\", \"batch_id\": 1}");
    assertThat(run("batch", "show", "1").out()).contains("status        uploaded")
        .contains("last_error    re-ingest requested: profile fixed");
  }

  @Test
  void sourceAddMakesAVendorsHeadersLoad() throws IOException {
    Cli.Run added = run("source", "add", "acme", "--alias", "Case No=case_number", "--alias", "AMOUNT=judgment_amount",
        "--alias", "filed=judgment_date", "--date-format", "MM/dd/yyyy", "--threshold", "5");
    assertThat(added.exitCode()).as(added.err()).isZero();
    assertThat(added.out()).isEqualTo("source acme added; vendors upload to incoming/acme/" + System.lineSeparator());
    Path f = dir.resolve("acme.csv");
    Files.writeString(f, "Case No,plaintiff_name,defendant_name,Amount,Filed\nA-1,Acme,Jane,5.00,03/01/2024\n");

    Cli.Run ingest = run("ingest", f.toString(), "--source", "acme");

    assertThat(ingest.out()).startsWith("batch 1 completed: 1 rows, 1 valid, 0 invalid; 1 inserted");
    assertThat(run("source", "list").out()).contains("acme").contains("threshold=5.00%")
        .contains("{amount=judgment_amount, case no=case_number, filed=judgment_date}").contains("[MM/dd/yyyy]");
    Cli.Run again = run("source", "add", "acme");
    assertThat(again.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(again.err()).isEqualTo("error: source acme already exists" + System.lineSeparator());
    Cli.Run badColumn = run("source", "add", "other", "--alias", "x=amount");
    assertThat(badColumn.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(badColumn.err()).startsWith("error: --alias x=amount: unknown column; columns are [case_number,");
    assertThat(run("source", "add", "Bad Name").err()).startsWith("error: source name must be lower-case");
  }

  @Test
  void batchListAndShowDescribeBatches() throws IOException {
    run("ingest", file("a.csv", "C-1,Acme,Jane,1.00,2024-03-01").toString(), "--source", "judgments", "--dry-run");

    Cli.Run list = run("batch", "list");
    Cli.Run show = run("batch", "show", "1");
    Cli.Run json = run("batch", "show", "1", "--json");

    assertThat(list.exitCode()).isZero();
    assertThat(list.out()).contains("completed*").contains("a.csv").contains("* dry run");
    assertThat(show.out()).startsWith("batch 1 (dry run)").contains("status        completed");
    assertThat(json.out()).contains("\"dry_run\":true").contains("\"rows_inserted\":1");
  }

  @Test
  void batchShowSaysWhenTheOutcomeWasDelivered() throws IOException {
    run("ingest", file("a.csv", "C-1,Acme,Jane,1.00,2024-03-01").toString(), "--source", "judgments");
    assertThat(run("batch", "show", "1").out()).doesNotContain("results").doesNotContain("event");

    dev.dragonfly.intake.Database.connect(dev.dragonfly.intake.DatabaseUrl.parse(databaseUrl)).jdbi()
        .useHandle(h -> h.execute("UPDATE intake.batches SET results_written_at = '2026-06-15T12:00:00Z', "
            + "event_published_at = '2026-06-15T12:00:01Z'"));

    assertThat(run("batch", "show", "1").out()).contains("results       written 2026-06-15T12:00Z")
        .contains("event         published 2026-06-15T12:00:01Z");
  }

  @Test
  void doctorReportsPendingMigrationsThenHealth() {
    Cli.Run before = run("doctor");
    assertThat(before.exitCode()).isEqualTo(ExitCodes.UNHEALTHY);
    assertThat(before.out()).contains("FAIL migrations: 11 pending").contains("run 'sentinel migrate'");

    Cli.Run migrate = run("migrate");
    assertThat(migrate.out()).isEqualTo("applied 11 migration(s); schema is at version 11" + System.lineSeparator());

    Cli.Run after = run("doctor");
    assertThat(after.exitCode()).isZero();
    assertThat(after.out()).contains("ok   migrations: current").contains("ok   sources: judgments");
  }

  @Test
  void withoutDatabaseUrlTheEmbeddedDefaultKeepsItsDataAcrossRuns(@TempDir Path home) throws IOException {
    Map<String, String> env = Map.of("DRAGONFLY_HOME", home.toString());
    Path f = file("ok.csv", "C-1,Acme,Jane,1.00,2024-03-01");

    Cli.Run first = runWith(env, "ingest", f.toString(), "--source", "judgments");
    Cli.Run second = runWith(env, "ingest", f.toString(), "--source", "judgments");

    assertThat(first.exitCode()).isZero();
    assertThat(first.out()).startsWith("batch 1 completed");
    assertThat(second.out()).startsWith("batch 2 duplicate of batch 1 (completed)"); // the same data directory, reused
    assertThat(home.resolve("pg17/PG_VERSION")).hasContent("17");
  }
}
