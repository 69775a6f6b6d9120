package dev.dragonfly.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class DatabaseTest {
  @Test
  void latestSchemaVersionMatchesTheNewestMigrationFile() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("..", "sql"))) {
      int newest = files.map(p -> p.getFileName().toString())
          .filter(n -> n.matches("V\\d+__.*\\.sql"))
          .map(n -> Integer.parseInt(n.substring(1, n.indexOf("__"))))
          .max(Comparator.naturalOrder()).orElseThrow();
      assertThat(Database.LATEST_SCHEMA_VERSION).isEqualTo(Integer.toString(newest));
    }
  }

  @Test
  void migrateIfBehindMigratesAnEmptyDatabaseOnceAndThenLeavesItAlone() {
    Database db = TestDatabase.empty();

    db.migrateIfBehind();
    assertThat(db.schemaVersion()).isEqualTo(Database.LATEST_SCHEMA_VERSION);
    assertThat(db.pendingMigrations()).isZero();
    db.migrateIfBehind();
    int applied = db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM intake.flyway_schema_history")
        .mapTo(Integer.class).one());
    assertThat(applied).isEqualTo(6); // the schema creation plus five migrations, applied once
  }
}
