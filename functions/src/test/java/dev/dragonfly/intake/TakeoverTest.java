package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.csv;
import static dev.dragonfly.intake.Fixtures.row;
import static dev.dragonfly.intake.Fixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A takeover never waits on the worker it replaces, whatever state that worker froze in (in the
 * middle of a COPY, or behind a network that stopped answering), and leases are judged on the
 * database's clock alone, so a worker's clock skew never gets a live worker taken over.
 */
class TakeoverTest {
  private static final ObjectRef REF = new ObjectRef("judgments", "incoming/judgments/big.csv", "v1");
  private final Database db = TestDatabase.fresh();
  private final Target target = new Target(db);
  private final IntakeConfig config = IntakeConfig.defaults().withChunkRows(10).withTransientRetries(0);
  private final MovableLeaseClock leases = new MovableLeaseClock();

  private static String file(String prefix, int rows) {
    List<String> lines = new ArrayList<>();
    for (int i = 1; i <= rows; i++) lines.add(row(prefix + i));
    return csv(lines.toArray(String[]::new));
  }

  private IntakePipeline worker(Database on, IntakeHooks hooks, ManualHeartbeats beats, Clock clock) {
    return new IntakePipeline(on, config, clock, hooks, beats, leases);
  }

  /** Freezes the worker in the middle of its second chunk's COPY: the first chunk's keys are held, uncommitted. */
  private static IntakeHooks frozenMidCopy(Runnable freeze) {
    return new IntakeHooks() {
      private int copies;

      @Override public void duringCopy(long batchId) {
        if (++copies == 2) freeze.run();
      }
    };
  }

  private String activeLoadSessionState() {
    return db.jdbi().withHandle(h -> h.createQuery("""
            SELECT coalesce(string_agg(state, ','), 'none') FROM pg_stat_activity
            WHERE datname = current_database() AND application_name LIKE 'dragonfly-intake load %'""")
        .mapTo(String.class).one());
  }

  @Test
  void workerFrozenInTheMiddleOfACopyIsEndedByTheTakeoverWhichCompletesWithExactRows() throws Exception {
    Pause frozen = new Pause();
    var old = worker(db, frozenMidCopy(frozen::here), new ManualHeartbeats(), Clock.systemUTC());
    CompletableFuture<IntakeResult> oldRun = Races.async(() -> old.ingest(REF, stream(file("K-", 30)),
        IngestOptions.DEFAULT));
    frozen.awaitReached();
    // the statement is running, not idle: the idle-in-transaction timeout would never end it
    assertThat(activeLoadSessionState()).isEqualTo("active");

    leases.advance(config.staleAfter().plusSeconds(1)); // it never beat again
    var next = worker(db, IntakeHooks.NONE, new ManualHeartbeats(), Clock.systemUTC());
    CompletableFuture<IntakeResult> takeover = Races.async(() -> next.ingest(REF, stream(file("K-", 30)),
        IngestOptions.DEFAULT));
    // its rows K-1..K-10 are the frozen worker's uncommitted ones: without ending that session it waits for good
    IntakeResult r = takeover.get(BatchStore.END_PREVIOUS_LOAD_WAIT.toSeconds() + 5, TimeUnit.SECONDS);
    assertThat(r.status()).isEqualTo("completed");
    assertThat(r.attempt()).isEqualTo(2);
    assertThat(r.counts()).isEqualTo(new BatchCounts(30, 30, 0, 30, 0, 0));

    frozen.release(); // resumed: its session is gone and its claim is not its own
    assertThatThrownBy(oldRun::join).hasCauseInstanceOf(IntakeException.class);
    Batch after = target.batch(1);
    assertThat(after.status()).isEqualTo("completed");
    assertThat(after.attempt()).isEqualTo(2);
    assertThat(after.rowsInserted()).isEqualTo(30);
    assertThat(target.count("SELECT count(*) FROM intake.judgments WHERE last_batch_id = 1")).isEqualTo(30);
    assertThat(target.judgments()).isEqualTo(30);
  }

  @Test
  void workerWhoseNetworkStopsAnsweringIsEndedByTheTakeoverAndWritesNothingWhenItComesBack() throws Exception {
    try (TcpProxy network = new TcpProxy("localhost", TestDatabase.serverPort())) {
      Database behindProxy = TestDatabase.throughPort(db, network.port());
      CountDownLatch cut = new CountDownLatch(1);
      var old = worker(behindProxy, frozenMidCopy(() -> {
        network.freeze();
        cut.countDown();
      }), new ManualHeartbeats(), Clock.systemUTC());
      CompletableFuture<IntakeResult> oldRun = Races.async(() -> old.ingest(REF, stream(file("K-", 30)),
          IngestOptions.DEFAULT));
      assertThat(cut.await(30, TimeUnit.SECONDS)).isTrue();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!activeLoadSessionState().equals("active") && System.nanoTime() < deadline) Thread.sleep(5);
      assertThat(activeLoadSessionState()).isEqualTo("active"); // waiting for rows the network holds back

      leases.advance(config.staleAfter().plusSeconds(1));
      var next = worker(db, IntakeHooks.NONE, new ManualHeartbeats(), Clock.systemUTC());
      IntakeResult r = Races.async(() -> next.ingest(REF, stream(file("K-", 30)), IngestOptions.DEFAULT))
          .get(BatchStore.END_PREVIOUS_LOAD_WAIT.toSeconds() + 5, TimeUnit.SECONDS);
      assertThat(r.status()).isEqualTo("completed");
      assertThat(r.counts()).isEqualTo(new BatchCounts(30, 30, 0, 30, 0, 0));
      assertThat(oldRun).isNotDone(); // still behind the frozen network

      network.thaw(); // the old worker hears back: its session was ended, its claim is gone
      assertThatThrownBy(() -> oldRun.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IntakeException.class);
      Batch after = target.batch(1);
      assertThat(after.status()).isEqualTo("completed");
      assertThat(after.attempt()).isEqualTo(2);
      assertThat(after.lastError()).isNull();
      assertThat(target.count("SELECT count(*) FROM intake.judgments WHERE last_batch_id = 1")).isEqualTo(30);
    }
  }

  @Test
  void workerWhoseClockRunsBehindIsNeverTakenOverWhileItBeatsAndIsTakenOverOnTimeOnceSilent() throws Exception {
    Clock behind = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(-40));
    Clock ahead = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(40));
    Pause loading = new Pause();
    ManualHeartbeats beats = new ManualHeartbeats();
    var slow = worker(db, new IntakeHooks() {
      @Override public void afterChunk(long batchId, long rowsSoFar) {
        if (rowsSoFar == 10) loading.here();
      }
    }, beats, behind);
    CompletableFuture<IntakeResult> slowRun = Races.async(() -> slow.ingest(REF, stream(file("K-", 20)),
        IngestOptions.DEFAULT));
    loading.awaitReached();

    var next = worker(db, IntakeHooks.NONE, new ManualHeartbeats(), ahead);
    for (int i = 0; i < 6; i++) { // a minute of beating, past the stale window: a delivery 80 s ahead still waits
      leases.advance(config.heartbeatInterval());
      beats.beat(1);
      assertThat(next.ingest(REF, stream(file("K-", 20)), IngestOptions.DEFAULT).status()).isEqualTo("in_progress");
    }

    leases.advance(config.staleAfter().minusSeconds(1)); // silent, but not yet for the whole window
    assertThat(next.ingest(REF, stream(file("K-", 20)), IngestOptions.DEFAULT).status()).isEqualTo("in_progress");
    leases.advance(Duration.ofSeconds(2));
    IntakeResult r = next.ingest(REF, stream(file("K-", 20)), IngestOptions.DEFAULT);
    assertThat(r.status()).isEqualTo("completed");
    assertThat(r.attempt()).isEqualTo(2);

    loading.release();
    assertThatThrownBy(slowRun::join).hasCauseInstanceOf(IntakeException.class);
    assertThat(target.judgments()).isEqualTo(20);
  }

  @Test
  void aLoadStatementOutlivingTheStatementTimeoutIsEndedByTheServerAndTheBatchGivenBack() throws Exception {
    new IntakePipeline(db, config, Clock.systemUTC()).ingest(new ObjectRef("judgments", "incoming/judgments/first.csv",
        "v1"), stream(file("K-", 3)), IngestOptions.DEFAULT);
    var slow = new IntakePipeline(db, config.withStatementTimeout(Duration.ofMillis(300)), Clock.systemUTC(),
        IntakeHooks.NONE, new ManualHeartbeats(), leases);
    try (var holder = db.jdbi().open()) {
      holder.begin(); // someone holds K-2's row: the merge's lock waits, and only the timeout ends the wait
      holder.createQuery("SELECT case_number FROM intake.judgments WHERE case_number = 'K-2' FOR UPDATE")
          .mapTo(String.class).one();
      CompletableFuture<IntakeResult> run = Races.async(() -> slow.ingest(REF, stream(csv(row("K-2", "9.99"))),
          IngestOptions.DEFAULT));
      assertThatThrownBy(() -> run.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IntakeException.class);
      holder.rollback();
    }
    Batch after = target.batch(2);
    assertThat(after.status()).isEqualTo("uploaded"); // given back for a retry
    assertThat(after.lastError()).contains("57014").contains("statement timeout");
    assertThat(target.count("SELECT count(*) FROM intake.judgments WHERE last_batch_id = 2")).isZero();
  }

  @Test
  void aPooledLoadConnectionGoesBackWithoutTheLoadsNameOrTimeouts() throws Exception {
    Database pooled = Database.pooled(DatabaseUrl.parse(TestDatabase.jdbcUrl(db)));
    IntakeResult r = new IntakePipeline(pooled, config, Clock.systemUTC())
        .ingest(REF, stream(file("K-", 30)), IngestOptions.DEFAULT);
    assertThat(r.status()).isEqualTo("completed");
    // every connection of the pool, borrowed at once: none may be taken for this batch's load by a
    // later takeover, nor cut by the load's idle or statement timeout while it does other work
    List<java.sql.Connection> all = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) all.add(pooled.connection());
      for (java.sql.Connection c : all) {
        try (var st = c.createStatement(); var rs = st.executeQuery(
            "SELECT current_setting('application_name'), current_setting('statement_timeout'), "
                + "current_setting('idle_in_transaction_session_timeout')")) {
          rs.next();
          assertThat(rs.getString(1)).isEqualTo("dragonfly-intake");
          assertThat(rs.getString(2)).isEqualTo("0");
          assertThat(rs.getString(3)).isEqualTo("0");
        }
      }
    } finally {
      for (java.sql.Connection c : all) c.close();
      ((AutoCloseable) pooled.dataSource()).close();
    }
  }
}
