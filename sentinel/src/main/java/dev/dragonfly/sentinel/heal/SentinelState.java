package dev.dragonfly.sentinel.heal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dragonfly.intake.Json;
import java.time.Instant;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Small named values a pass keeps for the next one, in {@code intake.sentinel_state}: so that a
 * scheduled function (a new process each time, often) knows what the previous pass saw.
 */
public final class SentinelState {
  private final Jdbi jdbi;

  public SentinelState(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  public Optional<JsonNode> read(String name) {
    return jdbi.withHandle(h -> read(h, name));
  }

  /** Reads and locks the value until {@code h}'s transaction ends. */
  public static Optional<JsonNode> readForUpdate(Handle h, String name) {
    return h.createQuery("SELECT value::text FROM intake.sentinel_state WHERE name = :name FOR UPDATE")
        .bind("name", name).mapTo(String.class).findOne().map(Json::readTree);
  }

  public static Optional<JsonNode> read(Handle h, String name) {
    return h.createQuery("SELECT value::text FROM intake.sentinel_state WHERE name = :name")
        .bind("name", name).mapTo(String.class).findOne().map(Json::readTree);
  }

  public void write(String name, Object value, Instant at) {
    jdbi.useHandle(h -> write(h, name, value, at));
  }

  public static void write(Handle h, String name, Object value, Instant at) {
    h.createUpdate("""
            INSERT INTO intake.sentinel_state (name, value, updated_at) VALUES (:name, CAST(:value AS jsonb), :at)
            ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at""")
        .bind("name", name).bind("value", Json.write(value)).bind("at", at).execute();
  }
}
