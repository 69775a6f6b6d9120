package dev.dragonfly.intake;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Array;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/** Reads source profiles from {@code intake.source_profiles}. */
public final class SourceProfiles {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, String>> ALIASES = new TypeReference<>() {};

  private final Jdbi jdbi;

  public SourceProfiles(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  public Optional<SourceProfile> find(String name) {
    return jdbi.withHandle(h -> h.createQuery("""
            SELECT name, dataset, header_aliases::text AS aliases, date_formats,
                   error_threshold_percent, max_file_bytes, max_rows
            FROM intake.source_profiles WHERE name = :name
            """)
        .bind("name", name)
        .map((rs, ctx) -> new SourceProfile(
            rs.getString("name"), rs.getString("dataset"), aliases(rs.getString("aliases")),
            strings(rs.getArray("date_formats")), rs.getBigDecimal("error_threshold_percent"),
            rs.getLong("max_file_bytes"), rs.getLong("max_rows")))
        .findOne());
  }

  /** The profile, or {@link UnknownSourceException} listing the ones that exist. */
  public SourceProfile require(String name) {
    return find(name).orElseThrow(() -> new UnknownSourceException(name, names()));
  }

  public List<String> names() {
    return jdbi.withHandle(h -> h.createQuery("SELECT name FROM intake.source_profiles ORDER BY name")
        .mapTo(String.class).list());
  }

  private static Map<String, String> aliases(String json) {
    try {
      return JSON.readValue(json, ALIASES);
    } catch (Exception e) {
      throw new IllegalStateException("source profile header_aliases is not a JSON object of strings", e);
    }
  }

  private static List<String> strings(Array array) throws SQLException {
    return array == null ? List.of() : Arrays.asList((String[]) array.getArray());
  }
}
