package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.IntakeConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Opens the database the environment names: DATABASE_URL, or else the embedded default under
 * DRAGONFLY_HOME (default ~/.dragonfly-intake), started by this process or joined when another
 * runs it. Opened once per process, on first use.
 */
final class Connector implements AutoCloseable {
  private final Map<String, String> env;
  private final IntakeConfig config;
  private final Path home;
  private Optional<EmbeddedPostgres> embedded = Optional.empty();
  private Database database;

  Connector(Map<String, String> env) {
    this.env = Map.copyOf(env);
    dev.dragonfly.logging.LogSettings.problem(env).ifPresent(p -> {
      throw new UserMistake(p);
    });
    try {
      this.config = IntakeConfig.fromEnv(env);
    } catch (IllegalArgumentException e) {
      throw new UserMistake(e.getMessage());
    }
    this.home = home(env);
  }

  /**
   * DRAGONFLY_HOME, else {@code $HOME/.dragonfly-intake}. $HOME as Unix tools read it: Java's
   * {@code user.home} comes from the password entry, so {@code HOME=/tmp/x} would be ignored.
   */
  static Path home(Map<String, String> env) {
    String dragonflyHome = env.get("DRAGONFLY_HOME");
    if (dragonflyHome != null && !dragonflyHome.isBlank()) return Path.of(dragonflyHome);
    String userHome = env.get("HOME");
    return Path.of(userHome != null && !userHome.isBlank() ? userHome : System.getProperty("user.home"), ".dragonfly-intake");
  }

  IntakeConfig config() {
    return config;
  }

  /** The sentinel's configuration, read when a pass needs it (a bad SENTINEL_ variable does not stop ingest). */
  SentinelConfig sentinelConfig() {
    return SentinelConfig.fromEnv(env);
  }

  /** Who runs the command, for what it records (a silence's author): $USER, else "operator". */
  String user() {
    String user = env.get("USER");
    return user == null || user.isBlank() ? "operator" : user;
  }

  /** Where the database is, for doctor: the URL without its password, or the embedded data directory. */
  String describe() {
    return config.databaseUrl().map(Object::toString)
        .orElse("embedded PostgreSQL in " + home.resolve("pg17"));
  }

  Database database() {
    if (database == null) {
      if (config.databaseUrl().isPresent()) {
        database = Database.connect(config.databaseUrl().get());
      } else {
        boolean created = !java.nio.file.Files.isDirectory(home.resolve("pg17"));
        embedded = EmbeddedDatabase.startOrJoin(home);
        if (created) { // once, when the data directory is made: where the data lives, and how to move it
          System.err.println("created the embedded PostgreSQL in " + home.resolve("pg17")
              + " (set DRAGONFLY_HOME to keep it elsewhere, or DATABASE_URL to use a server)");
        }
        database = new Database(Database.withoutRowValuesInErrors(EmbeddedDatabase.dataSource(home)));
      }
    }
    return database;
  }

  /**
   * On the embedded default, starts the server again if the process that ran it has ended (a
   * loop outlives the ingest it joined). A no-op with DATABASE_URL.
   */
  void ensureEmbeddedRunning() {
    if (config.databaseUrl().isPresent() || database == null || embedded.isPresent()) return;
    if (!EmbeddedDatabase.answers(EmbeddedDatabase.port(home))) embedded = EmbeddedDatabase.startOrJoin(home);
  }

  /** The database with every shipped migration applied: what ingest and batch commands need. */
  Database migratedDatabase() {
    Database db = database();
    db.migrateIfBehind();
    return db;
  }

  @Override public void close() throws IOException {
    if (embedded.isPresent()) embedded.get().close();
  }
}
