package dev.dragonfly.intake;

import java.sql.Array;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/** Reads source profiles from {@code intake.source_profiles}. */
public final class SourceProfiles {
  private final Jdbi jdbi;

  public SourceProfiles(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  public Optional<SourceProfile> find(String name) {
    return jdbi.withHandle(h -> h.createQuery("""
            SELECT name, dataset, date_formats, error_threshold_percent, max_file_bytes, max_rows,
                   ARRAY(SELECT key FROM jsonb_each_text(header_aliases) ORDER BY key) AS alias_names,
                   ARRAY(SELECT value FROM jsonb_each_text(header_aliases) ORDER BY key) AS alias_targets
            FROM intake.source_profiles WHERE name = :name
            """)
        .bind("name", name)
        .map((rs, ctx) -> new SourceProfile(
            rs.getString("name"), rs.getString("dataset"),
            aliases(strings(rs.getArray("alias_names")), strings(rs.getArray("alias_targets"))),
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

  /** Aliases keyed by the vendor header lower-cased and trimmed, as {@link SourceProfile} expects. */
  private static Map<String, String> aliases(List<String> names, List<String> targets) {
    Map<String, String> aliases = new HashMap<>();
    for (int i = 0; i < names.size(); i++) {
      aliases.put(names.get(i).strip().toLowerCase(Locale.ROOT), targets.get(i).strip().toLowerCase(Locale.ROOT));
    }
    return aliases;
  }

  private static List<String> strings(Array array) throws SQLException {
    return array == null ? List.of() : Arrays.asList((String[]) array.getArray());
  }
}
