package dev.dragonfly.intake;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.reflect.ConstructorMapper;
import org.jdbi.v3.core.statement.StatementExceptions;
import org.postgresql.ds.PGSimpleDataSource;

/** The intake database: connections, Jdbi and the Flyway migrations shipped from {@code sql/}. */
public final class Database {
  static final String MIGRATIONS = "classpath:db/migration";
  private static final String ALIVE_BYPASS_WINDOW = "com.zaxxer.hikari.aliveBypassWindowMs";
  /** The newest migration in sql/; DatabaseTest keeps this in step with the files. */
  static final String LATEST_SCHEMA_VERSION = "11";

  private final DataSource dataSource;
  private final Jdbi jdbi;

  public Database(DataSource dataSource) {
    this.dataSource = requireNonNull(dataSource, "dataSource == null");
    this.jdbi = Jdbi.create(dataSource)
        .registerRowMapper(ConstructorMapper.factory(Batch.class));
    // Jdbi would append the statement's bound arguments to its exception messages: values stay out
    jdbi.getConfig(StatementExceptions.class).setMessageRendering(StatementExceptions.MessageRendering.NONE);
  }

  public static Database connect(DatabaseUrl url) {
    return connect(url, 10);
  }

  /** A connection per use, giving up after {@code connectTimeoutSeconds} on an unreachable server. */
  public static Database connect(DatabaseUrl url, int connectTimeoutSeconds) {
    var ds = new PGSimpleDataSource();
    ds.setUrl(url.jdbcUrl());
    url.user().ifPresent(ds::setUser);
    url.password().ifPresent(ds::setPassword);
    ds.setApplicationName("dragonfly-intake");
    ds.setConnectTimeout(connectTimeoutSeconds);
    return new Database(withoutRowValuesInErrors(ds));
  }

  /**
   * A small pool for a long-lived process such as a Lambda container: connections are made on
   * first use (never before a SnapStart snapshot), reused across invocations, validated on
   * borrow and replaced when broken. Two per ingest: the control and the load connection.
   */
  public static Database pooled(DatabaseUrl url) {
    // Validate every borrow, not only those idle for 500 ms: an invocation borrows two or three
    // times, and a connection dropped by a failover must not fail the invocation that follows.
    if (System.getProperty(ALIVE_BYPASS_WINDOW) == null) System.setProperty(ALIVE_BYPASS_WINDOW, "0");
    var config = new com.zaxxer.hikari.HikariConfig();
    config.setJdbcUrl(url.jdbcUrl());
    url.user().ifPresent(config::setUsername);
    url.password().ifPresent(config::setPassword);
    config.setMaximumPoolSize(3);
    config.setMinimumIdle(0);
    config.setInitializationFailTimeout(-1); // do not connect at construction
    config.setConnectionTimeout(10_000);
    config.setPoolName("dragonfly-intake");
    config.addDataSourceProperty("ApplicationName", "dragonfly-intake");
    config.addDataSourceProperty("logServerErrorDetail", "false"); // see withoutRowValuesInErrors
    return new Database(new com.zaxxer.hikari.HikariDataSource(config));
  }

  /**
   * Keeps the server's DETAIL out of exception messages: for a constraint violation it is
   * "Failing row contains (…)", every value of the row, and messages reach logs and
   * {@code batches.last_error}.
   */
  public static PGSimpleDataSource withoutRowValuesInErrors(PGSimpleDataSource ds) {
    ds.setLogServerErrorDetail(false);
    return ds;
  }

  public DataSource dataSource() {
    return dataSource;
  }

  public Jdbi jdbi() {
    return jdbi;
  }

  public Connection connection() {
    try {
      return dataSource.getConnection();
    } catch (SQLException e) {
      throw new DatabaseUnavailableException("cannot connect to the database: " + e.getMessage(), e);
    }
  }

  private Flyway flyway() {
    return Flyway.configure()
        .dataSource(dataSource)
        .locations(MIGRATIONS)
        .schemas("intake")
        .createSchemas(true)
        .load();
  }

  /** Applies pending migrations; returns how many ran. Safe to call concurrently: Flyway locks. */
  public int migrate() {
    return flyway().migrate().migrationsExecuted;
  }

  /**
   * Migrates only when the schema is behind this build. Flyway's own check costs about a second
   * of start-up, which every CLI ingest would pay; one query answers the common case.
   */
  public void migrateIfBehind() {
    if (!LATEST_SCHEMA_VERSION.equals(appliedVersion())) migrate();
  }

  private String appliedVersion() {
    try (Connection c = connection(); var st = c.createStatement();
         var rs = st.executeQuery("SELECT version FROM intake.flyway_schema_history WHERE success "
             + "ORDER BY installed_rank DESC LIMIT 1")) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState()) || "3F000".equals(e.getSQLState())) return null; // never migrated
      throw new DatabaseUnavailableException("cannot read the schema version: " + e.getMessage(), e);
    }
  }

  /** Migrations shipped in this build that the database has not applied yet. */
  public int pendingMigrations() {
    MigrationInfo[] pending = flyway().info().pending();
    return pending.length;
  }

  /** Latest applied schema version, or "none". */
  public String schemaVersion() {
    MigrationInfo current = flyway().info().current();
    return current == null ? "none" : current.getVersion().getVersion();
  }
}
