package dev.dragonfly.intake;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * One real PostgreSQL per test JVM (embedded binaries), a migrated template database, and a
 * fresh copy of it for every test that asks: tests never share rows.
 */
public final class TestDatabase {
  private static final AtomicInteger NEXT = new AtomicInteger();
  private static EmbeddedPostgres server;

  private TestDatabase() {}

  private static synchronized EmbeddedPostgres server() {
    if (server == null) {
      try {
        server = EmbeddedPostgres.builder().start();
        try (Connection c = server.getPostgresDatabase().getConnection()) {
          c.createStatement().execute("CREATE DATABASE intake_template");
        }
        new Database(dataSource("intake_template")).migrate();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    }
    return server;
  }

  /** A new, migrated, empty database. */
  public static Database fresh() {
    String name = "intake_" + NEXT.incrementAndGet();
    try (Connection c = server().getPostgresDatabase().getConnection()) {
      c.createStatement().execute("CREATE DATABASE " + name + " TEMPLATE intake_template");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return new Database(dataSource(name));
  }

  /** A new database with no schema at all. */
  public static Database empty() {
    String name = "empty_" + NEXT.incrementAndGet();
    try (Connection c = server().getPostgresDatabase().getConnection()) {
      c.createStatement().execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return new Database(dataSource(name));
  }

  /** A JDBC URL of the given database, for code under test that connects by URL (subprocesses, the CLI). */
  public static String jdbcUrl(Database db) {
    return ((PGSimpleDataSource) db.dataSource()).getUrl() + "?user=postgres";
  }

  /** The same database reached through another port (a {@link TcpProxy} in front of the server). */
  public static Database throughPort(Database db, int port) {
    var ds = dataSource(((PGSimpleDataSource) db.dataSource()).getDatabaseName());
    ds.setPortNumbers(new int[] {port});
    return new Database(ds);
  }

  /** The port the server listens on. */
  public static int serverPort() {
    return server().getPort();
  }

  private static PGSimpleDataSource dataSource(String name) {
    var ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {"localhost"});
    ds.setPortNumbers(new int[] {server().getPort()});
    ds.setDatabaseName(name);
    ds.setUser("postgres");
    return ds;
  }
}
