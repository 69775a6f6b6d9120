package dev.dragonfly.sentinel;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The default database when DATABASE_URL is unset: real PostgreSQL binaries (from Maven
 * Central), data kept under the user's home and reused across runs. The server lives as long
 * as this process.
 */
final class EmbeddedDatabase {
  private EmbeddedDatabase() {}

  static EmbeddedPostgres start(Path home) {
    Path data = home.resolve("pg17");
    try {
      Files.createDirectories(home);
      return EmbeddedPostgres.builder()
          .setDataDirectory(data)
          .setCleanDataDirectory(false)
          .setOutputRedirector(ProcessBuilder.Redirect.appendTo(home.resolve("postgres.log").toFile()))
          .setErrorRedirector(ProcessBuilder.Redirect.appendTo(home.resolve("postgres.log").toFile()))
          .start();
    } catch (IOException | RuntimeException e) {
      throw new UserMistake("cannot start the embedded PostgreSQL in " + data + " (" + e.getMessage()
          + "); is another sentinel using it? Wait for it, or set DATABASE_URL to use a server");
    }
  }
}
