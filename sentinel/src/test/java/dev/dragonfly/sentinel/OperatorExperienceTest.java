package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.Fixtures;
import dev.dragonfly.intake.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a newcomer meets first, from README alone: each finding of their trial, as a shell runs it. */
class OperatorExperienceTest {
  private static final String NL = System.lineSeparator();
  @TempDir Path dir;
  private final Database db = TestDatabase.fresh();
  private final Map<String, String> env = Map.of("DATABASE_URL", TestDatabase.jdbcUrl(db), "SENTINEL_INSTANCE", "cli-test");

  private Cli.Run run(String... args) {
    return Cli.run(env, args);
  }

  private Cli.Run runWith(Map<String, String> extra, String... args) {
    return Cli.run(env, extra, args);
  }

  private Path csv(String name, String text) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  private static void noStackTraceNorClassNames(Cli.Run r) {
    assertThat(r.out() + r.err()).doesNotContain("\tat ").doesNotContain("Exception").doesNotContain("org.")
        .doesNotContain("java.");
  }

  @Test
  void theEmbeddedDataLivesUnderHomeAsUnixToolsReadItAndItsPlaceIsSaidOnceWhenCreated() throws Exception {
    Path home = dir.resolve("home");
    Path file = csv("one.csv", Fixtures.csv(Fixtures.row("C-1")));
    Map<String, String> homeOnly = Map.of("HOME", home.toString());
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    PrintStream original = System.err;
    Cli.Run first;
    Cli.Run doctor;
    System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
    try {
      first = Cli.run(homeOnly, "ingest", file.toString(), "--source", "judgments");
      doctor = Cli.run(homeOnly, "doctor");
    } finally {
      System.setErr(original);
    }
    Path data = home.resolve(".dragonfly-intake").resolve("pg17");
    assertThat(first.out()).startsWith("batch 1 completed");
    assertThat(data.resolve("PG_VERSION")).hasContent("17");
    String said = stderr.toString(StandardCharsets.UTF_8);
    assertThat(said).contains("created the embedded PostgreSQL in " + data
        + " (set DRAGONFLY_HOME to keep it elsewhere, or DATABASE_URL to use a server)");
    assertThat(said.split("created the embedded PostgreSQL", -1)).hasSize(2); // once, not on every run
    assertThat(doctor.out()).contains("embedded PostgreSQL in " + data);
    assertThat(Connector.home(Map.of("HOME", home.toString(), "DRAGONFLY_HOME", dir.resolve("x").toString())))
        .isEqualTo(dir.resolve("x"));
  }

  @Test
  void aRejectedFileSentAgainSaysHowToRunItAgain() throws Exception {
    Path file = csv("bad.csv", Fixtures.csv(Fixtures.row("C-1", "bad"), Fixtures.row("C-2")));
    assertThat(run("ingest", file.toString(), "--source", "judgments").exitCode()).isEqualTo(3);
    Cli.Run again = run("ingest", file.toString(), "--source", "judgments");
    assertThat(again.exitCode()).isZero();
    assertThat(again.out()).isEqualTo("batch 2 duplicate of batch 1 (failed): nothing loaded" + NL);
    assertThat(again.err()).isEqualTo("hint: this file was already tried as batch 1 and rejected; to run it again as a new "
        + "attempt: sentinel batch reingest 1 --reason \"…\" (add --threshold PERCENT to accept more invalid rows; "
        + "'sentinel batch errors 1' shows why it was rejected)" + NL);
  }

  @Test
  void aRolledBackFileSentAgainSaysHowToLoadItAgain() throws Exception {
    Path file = csv("ok.csv", Fixtures.csv(Fixtures.row("C-1")));
    run("ingest", file.toString(), "--source", "judgments");
    assertThat(run("batch", "rollback", "1", "--reason", "sent twice").exitCode()).isZero();
    Cli.Run again = run("ingest", file.toString(), "--source", "judgments");
    assertThat(again.err()).startsWith("hint: batch 1 loaded this file and was rolled back; to load it again, give the file "
        + "a new version (copy it, or touch it) and run this ingest again (runbooks/rollback.md)");
    Path copy = Files.copy(file, dir.resolve("ok-reload.csv"));
    assertThat(run("ingest", copy.toString(), "--source", "judgments").out()).startsWith("batch 3 completed");
  }

  @Test
  void aMissingColumnNamesTheHeadersItDidNotRecogniseAndIgnoredColumnsAreSaid() throws Exception {
    Path missing = csv("vendor.csv", "Case No,plaintiff_name,defendant_name,judgment_amount,judgment_date\nX-1,A,B,1.00,2024-01-01\n");
    Cli.Run r = run("ingest", missing.toString(), "--source", "judgments");
    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.out()).contains("MISSING_REQUIRED_COLUMN: the header lacks required column case_number; it has column it "
        + "does not recognise: 'Case No' (map one with an alias: sentinel source add NAME --alias 'case no=case_number')");

    Path extra = csv("extra.csv", "case_number,plaintiff_name,defendant_name,judgment_amount,judgment_date,notes,Vendor Ref\n"
        + "X-1,A,B,1.00,2024-01-01,hi,7\n");
    Cli.Run plain = run("ingest", extra.toString(), "--source", "judgments");
    assertThat(plain.out()).startsWith("batch 2 completed");
    assertThat(plain.err()).isEqualTo("note: ignored 2 column(s) the source profile 'judgments' does not know: notes, Vendor Ref "
        + "(to load one, add an alias: sentinel source add NAME --alias 'HEADER=COLUMN')" + NL);
  }

  @Test
  void aDirectoryIsNotAFileAndALocalGzipIsReadThroughGzip() throws Exception {
    Cli.Run directory = run("ingest", dir.toString(), "--source", "judgments");
    assertThat(directory.exitCode()).isEqualTo(2);
    assertThat(directory.err()).isEqualTo("error NOT_A_FILE: " + dir + " is a directory; give the CSV file to load" + NL);

    Path gz = dir.resolve("judgments.csv.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write(Fixtures.csv(Fixtures.row("G-1"), Fixtures.row("G-2")).getBytes(StandardCharsets.UTF_8));
    }
    Cli.Run gzipped = run("ingest", gz.toString(), "--source", "judgments");
    assertThat(gzipped.out()).startsWith("batch 1 completed: 2 rows, 2 valid, 0 invalid");
  }

  @Test
  void batchShowOfADuplicateAndBatchErrorsOfABatchWithoutErrorsSaySo() throws Exception {
    Path file = csv("ok.csv", Fixtures.csv(Fixtures.row("C-1")));
    run("ingest", file.toString(), "--source", "judgments");
    run("ingest", file.toString(), "--source", "judgments");
    Cli.Run show = run("batch", "show", "2");
    assertThat(show.out()).doesNotContain("null").contains("rows          not counted (a duplicate: see batch 1)");
    Cli.Run errors = run("batch", "errors", "1");
    assertThat(errors.out()).isEqualTo("batch 1 has no row errors" + NL);
  }

  @Test
  void doctorWithAnUnreachableDatabaseSaysWhatToCheckWithoutClassNames() {
    Cli.Run r = Cli.run(Map.of("DATABASE_URL", "postgresql://someone:secret@127.0.0.1:1/intake"), "doctor");
    assertThat(r.exitCode()).isEqualTo(6);
    assertThat(r.out()).startsWith("FAIL database: cannot reach ").contains("Connection refused")
        .contains("check DATABASE_URL (host, port, user, password)").doesNotContain("secret");
    noStackTraceNorClassNames(r);
  }

  @Test
  void usageMistakesAreSaidInPlainWordsWithTheFullCommandToGetHelp() {
    Cli.Run notANumber = run("batch", "list", "--limit", "abc");
    assertThat(notANumber.err()).isEqualTo("error: --limit must be a whole number: 'abc'" + NL
        + "see 'sentinel batch list --help'" + NL);
    assertThat(run("batch", "show", "abc").err()).startsWith("error: ID must be a whole number: 'abc'");
    Cli.Run unknown = run("batch", "shw", "1");
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).isEqualTo("error: unknown command 'shw'; did you mean show?" + NL + "see 'sentinel batch --help'" + NL);
    assertThat(run("batch").err()).endsWith("see 'sentinel batch --help'" + NL);
    assertThat(run("source").err()).endsWith("see 'sentinel source --help'" + NL);
    assertThat(run("source", "add", "acme", "--alias", "foo").err())
        .startsWith("error: --alias must be HEADER=COLUMN, like 'case no=case_number': 'foo'");
    assertThat(run("batch", "fail", "1").err()).startsWith("error: missing --reason R");
    for (Cli.Run r : new Cli.Run[] {notANumber, unknown}) noStackTraceNorClassNames(r);
  }

  @Test
  void aBadLogLevelOrFormatIsRefusedNotIgnored() {
    Cli.Run level = runWith(Map.of("LOG_LEVEL", "bogus"), "batch", "list");
    assertThat(level.exitCode()).isEqualTo(2);
    assertThat(level.err()).isEqualTo("error: LOG_LEVEL must be one of trace, debug, info, warn, error: bogus" + NL);
    Cli.Run format = runWith(Map.of("LOG_FORMAT", "xml"), "batch", "list");
    assertThat(format.exitCode()).isEqualTo(2);
    assertThat(format.err()).isEqualTo("error: LOG_FORMAT must be json or text: xml" + NL);
  }

  @Test
  void rollingBackAFailedBatchIsAUsageMistakeNotARefusalToProtectData() throws Exception {
    Path file = csv("bad.csv", Fixtures.csv(Fixtures.row("C-1", "bad")));
    run("ingest", file.toString(), "--source", "judgments");
    Cli.Run r = run("batch", "rollback", "1", "--reason", "oops");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("error NOTHING_TO_ROLL_BACK: batch 1 is failed; only a completed batch loaded rows to roll back" + NL);
  }

  @Test
  void aReingestKeepsWhoAskedWhyAndWhenBesideEveryAttemptsOutcome() throws Exception {
    String[] rows = new String[10];
    for (int i = 0; i < rows.length; i++) rows[i] = Fixtures.row("R-" + i, i < 2 ? "bad" : "1.00");
    Path file = csv("rejected.csv", Fixtures.csv(rows));
    assertThat(run("ingest", file.toString(), "--source", "judgments").exitCode()).isEqualTo(3);
    Cli.Run reingest = runWith(Map.of("USER", "ana"), "batch", "reingest", "1", "--reason", "vendor agreed to 25%",
        "--threshold", "25");
    assertThat(reingest.out()).startsWith("batch 1 completed");

    Cli.Run show = run("batch", "show", "1");
    assertThat(show.out())
        .containsPattern("attempt 1 +\\S+  upload  -> failed \\(error rate 20(\\.0+)?% > 10(\\.0+)?% threshold\\)")
        .containsPattern("attempt 2 +\\S+  operator ana: re-ingest requested: vendor agreed to 25%  -> completed");
    assertThat(Cli.run(env, "batch", "show", "1", "--json").out()).contains("\"requested_by\":\"operator ana\"");
  }
}

