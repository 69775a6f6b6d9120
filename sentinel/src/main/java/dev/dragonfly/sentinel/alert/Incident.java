package dev.dragonfly.sentinel.alert;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.dragonfly.intake.Json;
import dev.dragonfly.sentinel.check.Status;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One incident, a row of {@code intake.alert_incidents}: a check and subject that went bad, its
 * latest finding, and what was announced about it and where.
 */
record Incident(long id, String check, String subject, boolean open, Status severity, String summary,
                Map<String, Object> facts, Instant openedAt, Instant lastBadAt, int okPasses, Instant resolvedAt,
                Instant notifiedAt, Status notifiedSeverity, Set<String> routes, int reopened, boolean flapping,
                Long silenceId) {
  static final String COLUMNS = """
      id, check_name, subject, status, severity, summary, facts::text AS facts, opened_at, last_bad_at, ok_passes,
      resolved_at, notified_at, notified_severity, routes, reopened, flapping, silence_id""";
  private static final TypeReference<Map<String, Object>> FACTS = new TypeReference<>() {};

  Incident {
    facts = facts == null ? Map.of() : facts;
    routes = Set.copyOf(routes);
  }

  static Incident map(ResultSet rs) throws SQLException {
    Array routes = rs.getArray("routes");
    return new Incident(rs.getLong("id"), rs.getString("check_name"), rs.getString("subject"),
        rs.getString("status").equals("open"), severity(rs.getString("severity")), rs.getString("summary"),
        Json.MAPPER.convertValue(Json.readTree(rs.getString("facts")), FACTS), instant(rs, "opened_at"),
        instant(rs, "last_bad_at"), rs.getInt("ok_passes"), instant(rs, "resolved_at"), instant(rs, "notified_at"),
        severity(rs.getString("notified_severity")),
        routes == null ? Set.of() : new LinkedHashSet<>(Arrays.asList((String[]) routes.getArray())),
        rs.getInt("reopened"), rs.getBoolean("flapping"), (Long) rs.getObject("silence_id"));
  }

  static Status severity(String label) {
    return label == null ? null : Status.valueOf(label.toUpperCase(Locale.ROOT));
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    Timestamp t = rs.getTimestamp(column);
    return t == null ? null : t.toInstant();
  }

  /** The key incidents are unique by while open. */
  String key() {
    return check + " " + subject;
  }
}
