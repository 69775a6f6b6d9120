package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.IntakeConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Opens the database the environment names: DATABASE_URL, or else the embedded default under
 * DRAGONFLY_HOME (default ~/.dragonfly-intake). Opened once per process, on first use.
 */
final class Connector implements AutoCloseable {
  private final IntakeConfig config;
  private final Path home;
  private EmbeddedPostgres embedded;
  private Database database;

  Connector(Map<String, String> env) {
    try {
      this.config = IntakeConfig.fromEnv(env);
    } catch (IllegalArgumentException e) {
      throw new UserMistake(e.getMessage());
    }
    String dragonflyHome = env.get("DRAGONFLY_HOME");
    this.home = dragonflyHome != null && !dragonflyHome.isBlank()
        ? Path.of(dragonflyHome)
        : Path.of(System.getProperty("user.home"), ".dragonfly-intake");
  }

  IntakeConfig config() {
    return config;
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
        embedded = EmbeddedDatabase.start(home);
        database = new Database(Database.withoutRowValuesInErrors((PGSimpleDataSource) embedded.getPostgresDatabase()));
      }
    }
    return database;
  }

  /** The database with every shipped migration applied: what ingest and batch commands need. */
  Database migratedDatabase() {
    Database db = database();
    db.migrateIfBehind();
    return db;
  }

  @Override public void close() throws IOException {
    if (embedded != null) embedded.close();
  }
}
