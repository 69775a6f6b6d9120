package dev.dragonfly.sentinel.heal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dragonfly.intake.Json;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
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

  /** Several values over one connection; a name without a value is left out. */
  public Map<String, JsonNode> read(String... names) {
    return jdbi.withHandle(h -> {
      Map<String, JsonNode> values = new LinkedHashMap<>();
      for (String name : names) read(h, name).ifPresent(v -> values.put(name, v));
      return values;
    });
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

  /** Several values in one transaction, over one connection. */
  public void write(Map<String, Object> values, Instant at) {
    jdbi.useTransaction(h -> values.forEach((name, value) -> write(h, name, value, at)));
  }

  public static void write(Handle h, String name, Object value, Instant at) {
    h.createUpdate("""
            INSERT INTO intake.sentinel_state (name, value, updated_at) VALUES (:name, CAST(:value AS jsonb), :at)
            ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at""")
        .bind("name", name).bind("value", Json.write(value)).bind("at", at).execute();
  }
}
