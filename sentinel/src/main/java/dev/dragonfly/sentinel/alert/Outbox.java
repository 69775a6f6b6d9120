package dev.dragonfly.sentinel.alert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dragonfly.intake.Json;
import dev.dragonfly.sentinel.check.Status;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;

/**
 * {@code intake.alert_outbox} and the Slack messages its rows post and update. Rows are written
 * in the transaction that decided them and sent in order by {@link Deliverer}.
 */
final class Outbox {
  static final String POST = "post";
  static final String UPDATE = "update";
  static final String REPLY = "reply";
  static final String WEBHOOK = "webhook";
  static final String PUBLISH = "publish";

  /**
   * A row still to send, with its Slack message's channel and ts once that was posted;
   * {@code postParked}: the post of its message was parked, so the message has no ts to update.
   */
  record Row(long id, Route route, String operation, String check, String severity, String kind, Long messageId,
             JsonNode payload, int attempts, Instant nextAttemptAt, String channelId, String ts, boolean postParked, String lastError) {
    String text(String field) {
      JsonNode n = payload.get(field);
      return n == null || n.isNull() ? null : n.asText();
    }
  }

  private Outbox() {}

  static long newMessage(Handle h, Route route, String check, Instant now, Collection<Long> incidents) {
    long id = h.createUpdate("""
            INSERT INTO intake.alert_slack_messages (route, check_name, created_at) VALUES (:route, :check, :now)""")
        .bind("route", route.key()).bind("check", check).bind("now", now)
        .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
    var batch = h.prepareBatch("INSERT INTO intake.alert_incident_messages (incident_id, message_id) VALUES (:incident, :message)");
    incidents.forEach(i -> batch.bind("incident", i).bind("message", id).add());
    batch.execute();
    return id;
  }

  /** Each incident's latest message on {@code route}, if it has one. */
  static Map<Long, Long> messagesOn(Handle h, Route route, Collection<Long> incidents) {
    Map<Long, Long> messages = new HashMap<>();
    h.createQuery("""
            SELECT im.incident_id, max(m.id) AS message_id
              FROM intake.alert_incident_messages im JOIN intake.alert_slack_messages m ON m.id = im.message_id
             WHERE m.route = :route AND im.incident_id = ANY(:incidents)
             GROUP BY im.incident_id""")
        .bind("route", route.key()).bind("incidents", incidents.toArray(Long[]::new))
        .map((rs, ctx) -> Map.entry(rs.getLong("incident_id"), rs.getLong("message_id")))
        .forEach(e -> messages.put(e.getKey(), e.getValue()));
    return messages;
  }

  /** The incidents shown in a message, by id. */
  static List<Incident> incidentsOf(Handle h, long message) {
    return h.createQuery("SELECT " + Incident.COLUMNS + """
             FROM intake.alert_incidents
            WHERE id IN (SELECT incident_id FROM intake.alert_incident_messages WHERE message_id = :message)
            ORDER BY id""")
        .bind("message", message).map((rs, ctx) -> Incident.map(rs)).list();
  }

  static void enqueue(Handle h, Instant now, Route route, String operation, String check, Status severity, String kind,
                      Long message, Map<String, String> payload) {
    h.createUpdate("""
            INSERT INTO intake.alert_outbox (created_at, route, operation, check_name, severity, kind, message_id, payload,
                                             next_attempt_at)
            VALUES (:now, :route, :operation, :check, :severity, :kind, :message, CAST(:payload AS jsonb), :now)""")
        .bind("now", now).bind("route", route.key()).bind("operation", operation).bind("check", check)
        .bind("severity", severity.label()).bind("kind", kind).bind("message", message)
        .bind("payload", Json.write(payload)).execute();
  }

  /** Unsent, unparked rows to {@code routes} in the order they were decided. */
  static List<Row> pending(Handle h, Collection<Route> routes, int limit) {
    return h.createQuery("""
            SELECT o.id, o.route, o.operation, o.check_name, o.severity, o.kind, o.message_id, o.payload::text AS payload,
                   o.attempts, o.next_attempt_at, m.channel_id, m.ts, o.last_error,
                   EXISTS (SELECT 1 FROM intake.alert_outbox p
                            WHERE p.message_id = o.message_id AND p.operation = 'post' AND p.parked_at IS NOT NULL) AS post_parked
              FROM intake.alert_outbox o LEFT JOIN intake.alert_slack_messages m ON m.id = o.message_id
             WHERE o.sent_at IS NULL AND o.parked_at IS NULL AND o.route = ANY(:routes) ORDER BY o.id LIMIT :limit""")
        .bind("routes", routes.stream().map(Route::key).toArray(String[]::new)).bind("limit", limit)
        .map((rs, ctx) -> new Row(rs.getLong("id"), new Route(rs.getString("route")), rs.getString("operation"),
            rs.getString("check_name"), rs.getString("severity"), rs.getString("kind"), (Long) rs.getObject("message_id"),
            Json.readTree(rs.getString("payload")), rs.getInt("attempts"),
            rs.getObject("next_attempt_at", OffsetDateTime.class).toInstant(), rs.getString("channel_id"), rs.getString("ts"),
            rs.getBoolean("post_parked"), rs.getString("last_error")))
        .list();
  }

  /**
   * Marks a row sent by {@code instance}; a post (or an update posted anew because its message
   * was gone) also records where Slack put its message, for the updates behind it.
   */
  static void sent(Handle h, Row row, Outcome.Sent sent, Instant at, String instance, boolean posted) {
    h.useTransaction(t -> {
      t.createUpdate("""
              UPDATE intake.alert_outbox SET sent_at = :at, sent_by = :instance, attempts = attempts + 1, last_error = NULL
               WHERE id = :id""")
          .bind("at", at).bind("instance", instance).bind("id", row.id()).execute();
      if (posted && row.messageId() != null) {
        t.createUpdate("UPDATE intake.alert_slack_messages SET channel_id = :channel, ts = :ts WHERE id = :id")
            .bind("channel", sent.channelId()).bind("ts", sent.ts()).bind("id", row.messageId()).execute();
      }
    });
  }

  static void retryAt(Handle h, Row row, Instant next, String error) {
    h.createUpdate("""
            UPDATE intake.alert_outbox SET attempts = attempts + 1, next_attempt_at = :next, last_error = :error WHERE id = :id""")
        .bind("next", next).bind("error", error).bind("id", row.id()).execute();
  }

  /** Stops trying a row that can never be delivered: it no longer holds its destination back. Kept, with why. */
  static void park(Handle h, Row row, Instant at, String error) {
    h.createUpdate("""
            UPDATE intake.alert_outbox SET attempts = attempts + 1, parked_at = :at, last_error = :error WHERE id = :id""")
        .bind("at", at).bind("error", error).bind("id", row.id()).execute();
  }

  static int pendingCount(Handle h) {
    return h.createQuery("SELECT count(*) FROM intake.alert_outbox WHERE sent_at IS NULL AND parked_at IS NULL")
        .mapTo(Integer.class).one();
  }

  /** Rows parked since {@code since}, and the latest of them as one line (where, what, why). */
  record Parked(int count, String latest) {}

  static Parked parkedSince(Handle h, Instant since) {
    List<String> latest = h.createQuery("""
            SELECT route || ' ' || operation || ' of ' || check_name || ' (' || kind || '): ' || coalesce(last_error, '')
              FROM intake.alert_outbox WHERE parked_at >= :since ORDER BY parked_at DESC, id DESC""")
        .bind("since", since).mapTo(String.class).list();
    return new Parked(latest.size(), latest.isEmpty() ? null : latest.get(0));
  }
}
