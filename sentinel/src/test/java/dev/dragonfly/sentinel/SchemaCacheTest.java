package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.MutableClock;
import dev.dragonfly.intake.TestDatabase;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.Finding;
import dev.dragonfly.sentinel.check.SchemaCache;
import dev.dragonfly.sentinel.check.Status;
import dev.dragonfly.sentinel.heal.Audit;
import java.net.URI;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * schema_cache against a real database and a PostgREST stand-in that keeps its cache until told
 * on channel pgrst, as PostgREST does. Pass time moves on a clock; only the probing after a
 * reload really waits, for a deadline of {@link #DEADLINE}.
 */
class SchemaCacheTest {
  private static final Instant T0 = Instant.parse("2026-03-02T09:00:00Z");
  private static final Duration DEADLINE = Duration.ofMillis(500);
  private static final Duration MIN_INTERVAL = Duration.ofMinutes(5);

  /** One database for the class (a fresh copy costs half a second); each test starts from empty schemas and no sentinel state. */
  private static final Database db = TestDatabase.fresh();
  private final MutableClock clock = new MutableClock(T0);
  private PostgrestStandIn standIn;

  @BeforeEach
  void emptySchemasAndNoSentinelState() {
    sql("DROP SCHEMA IF EXISTS api CASCADE");
    sql("DROP SCHEMA public CASCADE");
    sql("CREATE SCHEMA public");
    sql("TRUNCATE intake.sentinel_audit, intake.sentinel_state");
  }

  @AfterEach
  void stop() throws Exception {
    if (standIn != null) standIn.close();
  }

  private PostgrestStandIn start(String... schemas) {
    standIn = new PostgrestStandIn(db, schemas);
    return standIn;
  }

  private SchemaCache check(String instance, String... schemas) {
    return check(instance, Optional.of(standIn.url()), Optional.of(standIn.adminUrl()), DEADLINE, schemas);
  }

  private SchemaCache check(String instance, Optional<URI> url, Optional<URI> admin, Duration deadline, String... schemas) {
    var settings = new SchemaCache.Settings(url, admin, schemas.length == 0 ? List.of("public") : List.of(schemas),
        MIN_INTERVAL, deadline, Duration.ofMillis(50));
    return new SchemaCache(db.jdbi(), db.jdbi(), settings, new Audit(instance));
  }

  private static void sql(String statement) {
    db.jdbi().useHandle(h -> h.execute(statement));
  }

  private List<Audit.Entry> reloadsAudited() {
    return Audit.since(db.jdbi(), Instant.EPOCH).stream().filter(e -> e.action().equals("reload_schema")).toList();
  }

  private static List<String> subjects(CheckResult r) {
    return r.findings().stream().map(Finding::subject).toList();
  }

  @Test
  void staleRelation_isHealedByOneReloadSchema_reportedWarning_andTheNextPassIsOkWithoutReload() {
    start();
    sql("CREATE TABLE public.orders (id int)");

    CheckResult first = check("a").run(clock.instant());

    assertThat(first.status()).isEqualTo(Status.WARNING);
    assertThat(first.summary()).isEqualTo("relation public.orders was missing from PostgREST's schema cache; a schema reload fixed it");
    assertThat(first.findings().get(0).facts()).containsEntry("compared", "in pg_class (table); GET /orders?limit=0 answered 404 PGRST205");
    assertThat(first.actions()).singleElement().satisfies(a -> {
      assertThat(a.action()).isEqualTo("reload_schema");
      assertThat(a.stateBefore()).isEqualTo("missing: relation public.orders");
    });
    assertThat(standIn.payloads()).containsExactly("reload schema");
    assertThat(reloadsAudited()).singleElement().satisfies(e -> {
      assertThat(e.instance()).isEqualTo("a");
      assertThat(e.checkName()).isEqualTo("schema_cache");
      assertThat(e.subject()).isEqualTo("PostgREST schema cache");
      assertThat(e.at().toInstant()).isEqualTo(T0);
    });

    clock.advance(Duration.ofMinutes(1));
    CheckResult next = check("a").run(clock.instant());
    assertThat(next.status()).isEqualTo(Status.OK);
    assertThat(next.summary()).isEqualTo("PostgREST serves the newest 1 relation(s) and 0 function(s) of public");
    assertThat(next.actions()).isEmpty();
    assertThat(standIn.payloads()).containsExactly("reload schema");
    assertThat(reloadsAudited()).hasSize(1);
  }

  @Test
  void addedColumnAndFunction_missingFromTheOpenApiRoot_areStaleAndHealedByTheReload() {
    sql("CREATE TABLE public.orders (id int)");
    start();
    sql("ALTER TABLE public.orders ADD COLUMN note text");
    sql("CREATE FUNCTION public.order_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM public.orders'");

    CheckResult r = check("a").run(clock.instant());

    assertThat(r.status()).isEqualTo(Status.WARNING);
    assertThat(subjects(r)).containsExactlyInAnyOrder("column public.orders.note", "function public.order_count");
    assertThat(standIn.schemaReloadsReceived()).isEqualTo(1);
  }

  @Test
  void relationInANonDefaultSchema_isReadWithAcceptProfile() {
    sql("CREATE SCHEMA api");
    start("public", "api");
    sql("CREATE TABLE api.invoices (id int)");

    CheckResult r = check("a", "public", "api").run(clock.instant());

    assertThat(r.status()).isEqualTo(Status.WARNING);
    assertThat(subjects(r)).containsExactly("relation api.invoices");
  }

  @Test
  void slowReload_isWaitedForWithBackoff_andCountsAsFixedWithinTheDeadline() {
    start().reloadTakes(Duration.ofMillis(500));
    sql("CREATE TABLE public.orders (id int)");

    CheckResult r = check("a", Optional.of(standIn.url()), Optional.empty(), Duration.ofSeconds(3)).run(clock.instant());

    assertThat(r.status()).isEqualTo(Status.WARNING);
    assertThat(r.summary()).endsWith("a schema reload fixed it");
  }

  @Test
  void postgrestIgnoringTheReload_leavesCritical_afterProbingUntilTheDeadline() {
    start().ignoreReloads();
    sql("CREATE TABLE public.orders (id int)");

    long started = System.nanoTime();
    CheckResult r = check("a").run(clock.instant());
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    assertThat(r.status()).isEqualTo(Status.CRITICAL);
    assertThat(r.summary()).isEqualTo("relation public.orders is missing from PostgREST's schema cache 500 ms after a schema reload;"
        + " run 'sentinel pgrst-reload'; see runbooks/schema-cache.md");
    assertThat(took).isBetween(DEADLINE, DEADLINE.plusSeconds(2));
    assertThat(standIn.relationReads()).as("reads of the relation: before the reload and several after").isGreaterThan(3);
    assertThat(standIn.payloads()).containsExactly("reload schema");
  }

  @Test
  void bareReloadPayload_isIgnored_theStandInKeepsAnsweringPgrst205_untilReloadSchema() throws Exception {
    start();
    sql("CREATE TABLE public.orders (id int)");
    var http = new OkHttpClient();
    var read = new Request.Builder().url(standIn.url().resolve("/orders?limit=0").toString()).build();

    sql("NOTIFY pgrst, 'reload'");
    standIn.awaitPayloads(1);
    try (Response r = http.newCall(read).execute()) {
      assertThat(r.code()).isEqualTo(404);
      assertThat(r.body().string()).contains("\"code\":\"PGRST205\"")
          .contains("\"message\":\"Could not find the table 'public.orders' in the schema cache\"");
    }

    sql("NOTIFY pgrst, 'reload schema'");
    standIn.awaitPayloads(2);
    try (Response r = http.newCall(read).execute()) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body().string()).isEqualTo("[]");
    }
    assertThat(standIn.schemaReloadsReceived()).isEqualTo(1);
  }

  @Test
  void sameSymptomWithinTheMinInterval_isNotReloadedAgain_butAfterTheIntervalItIs() {
    start().ignoreReloads();
    sql("CREATE TABLE public.orders (id int)");
    SchemaCache check = check("a");

    check.run(clock.instant());
    clock.advance(MIN_INTERVAL.minusSeconds(1));
    CheckResult within = check.run(clock.instant());

    assertThat(within.status()).isEqualTo(Status.CRITICAL);
    assertThat(within.actions()).isEmpty();
    assertThat(within.summary()).isEqualTo("relation public.orders is missing from PostgREST's schema cache after a schema reload"
        + " by a at 2026-03-02T09:00:00Z (the next is due from 2026-03-02T09:05:00Z); run 'sentinel pgrst-reload';"
        + " see runbooks/schema-cache.md");
    assertThat(standIn.schemaReloadsReceived()).isEqualTo(1);

    clock.advance(Duration.ofSeconds(1));
    CheckResult after = check("b").run(clock.instant()); // another sentinel, or this one restarted: the memory is in the database

    assertThat(after.actions()).hasSize(1);
    assertThat(standIn.schemaReloadsReceived()).isEqualTo(2);
    assertThat(reloadsAudited()).extracting(Audit.Entry::instance).containsExactly("a", "b");
  }

  @Test
  void aNewlyMissingRelationWithinTheMinInterval_isANewSymptom_andIsReloaded() {
    start().ignoreReloads();
    sql("CREATE TABLE public.orders (id int)");
    check("a").run(clock.instant());

    sql("CREATE TABLE public.invoices (id int)");
    clock.advance(Duration.ofMinutes(1));
    CheckResult r = check("a").run(clock.instant());

    assertThat(r.actions()).singleElement().satisfies(a ->
        assertThat(a.stateBefore()).isEqualTo("missing: relation public.invoices, relation public.orders"));
    assertThat(standIn.schemaReloadsReceived()).isEqualTo(2);
  }

  @Test
  void readyFailing_triesOneReload_thenCriticalNamingTheDatabaseSide() {
    start().failCacheLoads();

    CheckResult first = check("a").run(clock.instant());
    clock.advance(Duration.ofMinutes(1));
    CheckResult second = check("a").run(clock.instant());

    assertThat(first.status()).isEqualTo(Status.CRITICAL);
    assertThat(subjects(first)).containsExactly("PostgREST schema cache");
    assertThat(first.summary()).startsWith("PostgREST cannot build its schema cache (its admin server's /ready answers 503) 500 ms after"
            + " a schema reload: a database-side problem. Look at: PostgREST's log;")
        .contains("max_connections").contains("every schema in public exists").endsWith("see runbooks/schema-cache.md");
    assertThat(first.actions()).singleElement().satisfies(a ->
        assertThat(a.stateBefore()).isEqualTo("no schema cache: its admin server's /ready answers 503"));
    assertThat(second.status()).isEqualTo(Status.CRITICAL);
    assertThat(second.actions()).isEmpty();
    assertThat(standIn.schemaReloadsReceived()).isEqualTo(1);
  }

  @Test
  void pgrst002Answers_withoutAnAdminUrl_triesOneReload_thenCritical() {
    start().failCacheLoads();

    CheckResult r = check("a", Optional.of(standIn.url()), Optional.empty(), DEADLINE).run(clock.instant());

    assertThat(r.status()).isEqualTo(Status.CRITICAL);
    assertThat(r.summary()).startsWith("PostgREST cannot build its schema cache (it answers 503 PGRST002 (could not query the"
        + " database for the schema cache)) 500 ms after a schema reload: a database-side problem.");
    assertThat(standIn.schemaReloadsReceived()).isEqualTo(1);
  }

  @Test
  void withoutPostgrestUrl_isSkippedSayingWhatToSet() {
    CheckResult r = check("a", Optional.empty(), Optional.empty(), DEADLINE).run(clock.instant());

    assertThat(r.status()).isEqualTo(Status.SKIPPED);
    assertThat(r.summary()).isEqualTo("not configured: set POSTGREST_URL to PostgREST's address to compare its schema cache");
  }

  /**
   * Both sentinels have seen the stale cache and are inside their reload transaction at once:
   * the test holds the audit table locked until one waits on it and the other on the reload's
   * lock (without that lock both would have read "no reload yet" and both would send one).
   */
  @Test
  void twoSentinelsHealingTheSameStaleCacheAtOnce_sendOneReload() throws Exception {
    start();
    sql("CREATE TABLE public.orders (id int)");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (Connection blocker = db.connection()) {
      blocker.setAutoCommit(false);
      blocker.createStatement().execute("LOCK TABLE intake.sentinel_audit IN EXCLUSIVE MODE");
      Future<CheckResult> a = pool.submit(() -> check("a").run(clock.instant()));
      Future<CheckResult> b = pool.submit(() -> check("b").run(clock.instant()));
      awaitWaitingSessions(2);
      blocker.commit();

      List<CheckResult> results = List.of(a.get(10, TimeUnit.SECONDS), b.get(10, TimeUnit.SECONDS));
      sql("NOTIFY pgrst, 'marker'"); // delivered after every notification committed before it
      // one reload then the marker; a second reload would arrive before the marker and fail the assertion
      standIn.awaitPayloads(2);

      assertThat(standIn.payloads()).containsExactly("reload schema", "marker");
      assertThat(reloadsAudited()).hasSize(1);
      assertThat(results).extracting(CheckResult::status).containsOnly(Status.WARNING);
      assertThat(results).flatExtracting(CheckResult::actions).hasSize(1);
    } finally {
      pool.shutdownNow();
    }
  }

  private void awaitWaitingSessions(int n) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      int waiting = db.jdbi().withHandle(h -> h.createQuery("""
              SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE NOT l.granted AND a.datname = current_database()""").mapTo(Integer.class).one());
      if (waiting >= n) return;
      if (System.nanoTime() > until) throw new AssertionError(waiting + " session(s) waiting on a lock, expected " + n);
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  // sentinel pgrst-reload, driven as an operator runs it

  private Cli.Run pgrstReload(Map<String, String> extra, String... args) {
    Map<String, String> env = new HashMap<>(Map.of("DATABASE_URL", TestDatabase.jdbcUrl(db), "SENTINEL_INSTANCE", "operator-1",
        "POSTGREST_RELOAD_DEADLINE", "500ms"));
    env.putAll(extra);
    String[] argv = new String[args.length + 1];
    argv[0] = "pgrst-reload";
    System.arraycopy(args, 0, argv, 1, args.length);
    return Cli.run(env, argv);
  }

  @Test
  void pgrstReload_sendsReloadSchema_auditsIt_andExits0OncePostgrestServesEveryRelation() {
    start();
    sql("CREATE TABLE public.orders (id int)");

    Cli.Run r = pgrstReload(Map.of("POSTGREST_URL", standIn.url().toString()));

    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).isEqualTo("schema reload sent; PostgREST serves the newest 1 relation(s) and 0 function(s)\n");
    assertThat(standIn.payloads()).containsExactly("reload schema");
    assertThat(reloadsAudited()).singleElement().satisfies(e -> {
      assertThat(e.instance()).isEqualTo("operator-1");
      assertThat(e.detail()).isEqualTo("sentinel pgrst-reload");
    });
  }

  @Test
  void pgrstReload_whenPostgrestKeepsItsStaleCache_exits6NamingWhatIsMissing() {
    start().ignoreReloads();
    sql("CREATE TABLE public.orders (id int)");

    Cli.Run r = pgrstReload(Map.of("POSTGREST_URL", standIn.url().toString()));

    assertThat(r.exitCode()).isEqualTo(6);
    assertThat(r.out()).isEqualTo("schema reload sent; 500 ms later still missing from PostgREST's schema cache: relation"
        + " public.orders; see runbooks/schema-cache.md\n");
  }

  @Test
  void pgrstReload_withoutPostgrestUrl_exits2WithOneLineSayingToSetIt() {
    Cli.Run r = pgrstReload(Map.of());

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("error: set POSTGREST_URL to PostgREST's address (e.g. http://localhost:3000) to reload"
        + " its schema cache\n");
    assertThat(reloadsAudited()).isEmpty();
  }

  @Test
  void pgrstReload_help_describesTheCommandAndItsExitCodes() {
    Cli.Run r = pgrstReload(Map.of(), "--help");

    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("Usage: sentinel pgrst-reload").contains("NOTIFY pgrst, 'reload schema'")
        .contains("6 PostgREST still lacks some");
  }
}
