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
    assertThat(applied).isEqualTo(12); // the schema creation plus eleven migrations, applied once
  }

  @Test
  void version5MarksEarlierRedeliveryRowsSoThatContentDuplicatesKeepTheirObjectsClaim() {
    Database db = TestDatabase.empty();
    org.flywaydb.core.Flyway.configure().dataSource(db.dataSource()).locations(Database.MIGRATIONS)
        .schemas("intake").createSchemas(true).target("4").load().migrate();
    db.jdbi().useHandle(h -> h.execute("""
        INSERT INTO intake.batches (id, source, object_key, object_version, status, duplicate_of, error_threshold_percent)
        OVERRIDING SYSTEM VALUE VALUES
          (1, 'judgments', 'a.csv', 'v1', 'completed', NULL, 10),
          (2, 'judgments', 'a.csv', 'v1', 'duplicate', 1, 10),  -- a redelivery of a.csv
          (3, 'judgments', 'b.csv', 'v1', 'duplicate', 1, 10),  -- b.csv has a.csv's content
          (4, 'judgments', 'b.csv', 'v1', 'duplicate', 1, 10)   -- b.csv redelivered, and read again
        """));
    db.jdbi().useHandle(h -> h.execute("SELECT setval(pg_get_serial_sequence('intake.batches', 'id'), 4)"));

    db.migrate();

    java.util.List<Long> redeliveries = db.jdbi().withHandle(h -> h.createQuery(
        "SELECT id FROM intake.batches WHERE redelivery ORDER BY id").mapTo(Long.class).list());
    assertThat(redeliveries).containsExactly(2L, 4L);
    // b.csv's slot is held by batch 3 now: a redelivery is answered from it, without reading the file
    Claim claim = db.jdbi().<Claim, RuntimeException>withHandle(h -> new BatchStore(db.jdbi()).claim(h, new ObjectRef("judgments", "b.csv", "v1"),
        java.math.BigDecimal.TEN, java.time.Duration.ofMinutes(1)));
    assertThat(claim).isInstanceOfSatisfying(Claim.Duplicate.class, d -> {
      assertThat(d.originalId()).isEqualTo(1); // named: the batch holding the rows, not the content duplicate
      assertThat(new BatchStore(db.jdbi()).holderOf(new ObjectRef("judgments", "b.csv", "v1")).orElseThrow().id())
          .isEqualTo(3);
      assertThat(new Target(db).count("SELECT count(*) FROM intake.batches WHERE id = ? AND redelivery", d.batchId()))
          .isEqualTo(1);
    });
  }
}
