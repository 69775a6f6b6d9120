package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.ref;
import static dev.dragonfly.intake.Fixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The load's connection is reset on the network mid-load (a TCP proxy between the driver and
 * PostgreSQL sends RST both ways), so the driver raises a connection failure of class 08, not
 * the server's own 57P01: the worker's in-process retry finishes the batch with exact rows.
 */
class ConnectionResetTest {
  private final Database db = TestDatabase.fresh();
  private final Target target = new Target(db);
  private final TcpProxy proxy;
  private final Database throughProxy;

  ConnectionResetTest() {
    var direct = (PGSimpleDataSource) db.dataSource();
    proxy = new TcpProxy(direct.getServerNames()[0], direct.getPortNumbers()[0]);
    var ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {proxy.host()});
    ds.setPortNumbers(new int[] {proxy.port()});
    ds.setDatabaseName(direct.getDatabaseName());
    ds.setUser(direct.getUser());
    throughProxy = new Database(Database.withoutRowValuesInErrors(ds));
  }

  @AfterEach
  void closeProxy() {
    proxy.close();
  }

  /**
   * Resets, on the network, the connection of the one session of this database idle inside a
   * transaction: at a hook after a chunk, the load connection (the control connection commits
   * each statement).
   */
  private void resetLoadConnection() {
    List<Integer> ports = db.jdbi().withHandle(h -> h.createQuery("""
            SELECT client_port FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'idle in transaction' AND pid <> pg_backend_pid()""")
        .mapTo(Integer.class).list());
    if (ports.size() != 1) throw new IllegalStateException("not one load connection: " + ports);
    if (!proxy.reset(ports.get(0))) throw new IllegalStateException("no proxied connection from port " + ports);
  }

  @Test
  void loadConnectionResetMidLoadIsRetriedInProcessAndCompletesWithExactRows() {
    var first = new AtomicBoolean(true);
    IntakeConfig config = IntakeConfig.defaults().withChunkRows(4).withTransientRetries(1);
    var pipeline = new IntakePipeline(throughProxy, config, Fixtures.CLOCK, new IntakeHooks() {
      @Override public void afterChunk(long batchId, long rowsSoFar) {
        if (rowsSoFar == 4 && first.getAndSet(false)) resetLoadConnection();
      }
    });
    String content = Fixtures.csvOfRows("R-", 12);

    IntakeResult r = pipeline.retryingTransientFailures(() ->
        pipeline.ingest(ref("incoming/judgments/reset.csv"), stream(content), IngestOptions.DEFAULT));

    assertThat(proxy.resets()).isEqualTo(1);
    assertThat(r.status()).isEqualTo("completed");
    assertThat(r.attempt()).isEqualTo(2);
    assertThat(r.counts()).isEqualTo(new BatchCounts(12, 12, 0, 12, 0, 0));
    // the first attempt ended on the reset itself, as the driver reports a broken connection
    BatchStore.Attempt firstAttempt = new BatchStore(db.jdbi()).attempts(r.batchId()).get(0);
    assertThat(firstAttempt.outcome()).isEqualTo("given back");
    assertThat(firstAttempt.detail()).startsWith("database error 08006: ");
    assertThat(target.judgments()).isEqualTo(12);
    assertThat(target.count("SELECT count(*) FROM intake.judgments WHERE last_batch_id = ? AND first_batch_id = ?",
        r.batchId(), r.batchId())).isEqualTo(12);
    assertThat(target.count("SELECT count(DISTINCT case_number) FROM intake.judgments WHERE case_number LIKE 'R-%'"))
        .isEqualTo(12);
    assertThat(target.batch(r.batchId()).status()).isEqualTo("completed");
  }
}
