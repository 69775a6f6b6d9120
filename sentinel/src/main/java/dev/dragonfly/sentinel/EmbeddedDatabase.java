package dev.dragonfly.sentinel;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The default database when DATABASE_URL is unset: real PostgreSQL binaries (from Maven
 * Central), data kept under the user's home and reused across runs, on a port chosen once and
 * kept in {@code <home>/port}. Several processes share it: the first starts the server and owns
 * it (it stops when that process ends), the others join it; a process that finds it gone (its
 * owner ended) starts it again on the same port, so connections made earlier keep working.
 * A file lock makes start-or-join one step across processes.
 */
final class EmbeddedDatabase {
  private EmbeddedDatabase() {}

  /** The server this process started, if it did; empty when it joined a running one. */
  static Optional<EmbeddedPostgres> startOrJoin(Path home) {
    Path data = home.resolve("pg17");
    try {
      Files.createDirectories(home);
      try (FileChannel channel = FileChannel.open(home.resolve("server.lock"), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE); FileLock lock = channel.lock()) {
        int port = port(home);
        if (answers(port)) return Optional.empty();
        return Optional.of(EmbeddedPostgres.builder()
            .setDataDirectory(data)
            .setCleanDataDirectory(false)
            .setPort(port)
            .setOutputRedirector(ProcessBuilder.Redirect.appendTo(home.resolve("postgres.log").toFile()))
            .setErrorRedirector(ProcessBuilder.Redirect.appendTo(home.resolve("postgres.log").toFile()))
            .start());
      }
    } catch (IOException | RuntimeException e) {
      throw new UserMistake("cannot start the embedded PostgreSQL in " + data + " (" + e.getMessage()
          + "); see " + home.resolve("postgres.log") + ", or set DATABASE_URL to use a server");
    }
  }

  /** Connections to the embedded server, whichever process runs it. */
  static PGSimpleDataSource dataSource(Path home) {
    var ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {"localhost"});
    ds.setPortNumbers(new int[] {port(home)});
    ds.setDatabaseName("postgres");
    ds.setUser("postgres");
    ds.setApplicationName("dragonfly-intake");
    ds.setConnectTimeout(10);
    return ds;
  }

  static boolean answers(int port) {
    var ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {"localhost"});
    ds.setPortNumbers(new int[] {port});
    ds.setDatabaseName("postgres");
    ds.setUser("postgres");
    ds.setConnectTimeout(2);
    try (Connection c = ds.getConnection()) {
      return c.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }

  /** The server's port, chosen (a free one) the first time and kept in {@code <home>/port}. */
  static int port(Path home) {
    Path file = home.resolve("port");
    try {
      if (Files.exists(file)) return Integer.parseInt(Files.readString(file, StandardCharsets.UTF_8).trim());
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      Files.createDirectories(home);
      Files.writeString(file, Integer.toString(port), StandardCharsets.UTF_8);
      return port;
    } catch (IOException | NumberFormatException e) {
      throw new UserMistake("cannot read the embedded server's port from " + file + " (" + e.getMessage()
          + "); delete that file to choose a new one");
    }
  }
}
