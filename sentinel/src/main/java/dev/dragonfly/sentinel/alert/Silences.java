package dev.dragonfly.sentinel.alert;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Operators' silences ({@code sentinel silence add | list | remove}): a silenced incident is
 * recorded and shown in the report but not sent, until the silence expires by itself or is
 * removed. A silence names a check, or one subject of it.
 */
public final class Silences {
  /** The longest silence: past this, fix the check's threshold instead. */
  public static final Duration LONGEST = Duration.ofDays(30);

  /** One silence in force; {@code subject} null silences the whole check. */
  public record Silence(long id, String check, String subject, String reason, String createdBy, Instant createdAt,
                        Instant expiresAt) {
    boolean covers(String check, String subject) {
      return this.check.equals(check) && (this.subject == null || this.subject.equals(subject));
    }

    /** {@code stuck_batches} or {@code stuck_batches:batch 42}, as {@code silence add} takes it. */
    public String target() {
      return check + (subject == null ? "" : ":" + subject);
    }
  }

  private final Jdbi jdbi;

  public Silences(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  public long add(String check, Optional<String> subject, Duration duration, String reason, String by, Instant now) {
    return jdbi.withHandle(h -> h.createUpdate("""
            INSERT INTO intake.alert_silences (check_name, subject, reason, created_by, created_at, expires_at)
            VALUES (:check, :subject, :reason, :by, :now, :expires)""")
        .bind("check", check).bind("subject", subject.orElse(null)).bind("reason", reason).bind("by", by)
        .bind("now", now).bind("expires", now.plus(duration))
        .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one());
  }

  /** Ends a silence now; false if there is no active silence with that id. */
  public boolean remove(long id, Instant now) {
    return jdbi.withHandle(h -> h.createUpdate("""
            UPDATE intake.alert_silences SET removed_at = :now
             WHERE id = :id AND removed_at IS NULL AND expires_at > :now""")
        .bind("id", id).bind("now", now).execute() == 1);
  }

  /** Silences in force at {@code now}, oldest first. */
  public List<Silence> active(Instant now) {
    return jdbi.withHandle(h -> active(h, now));
  }

  static List<Silence> active(Handle h, Instant now) {
    return h.createQuery("""
            SELECT id, check_name, subject, reason, created_by, created_at, expires_at
              FROM intake.alert_silences WHERE removed_at IS NULL AND expires_at > :now ORDER BY id""")
        .bind("now", now)
        .map((rs, ctx) -> new Silence(rs.getLong("id"), rs.getString("check_name"), rs.getString("subject"),
            rs.getString("reason"), rs.getString("created_by"), rs.getObject("created_at", OffsetDateTime.class).toInstant(),
            rs.getObject("expires_at", OffsetDateTime.class).toInstant()))
        .list();
  }

  static Optional<Silence> matching(List<Silence> silences, String check, String subject) {
    return silences.stream().filter(s -> s.covers(check, subject)).findFirst();
  }
}
