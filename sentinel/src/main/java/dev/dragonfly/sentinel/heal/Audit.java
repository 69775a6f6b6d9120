package dev.dragonfly.sentinel.heal;

import dev.dragonfly.sentinel.check.Action;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The audit trail of self-heals, {@code intake.sentinel_audit}: written in the transaction of
 * the heal itself, so a heal and its record commit together or not at all. Never updated,
 * never pruned.
 */
public final class Audit {
  /** One audit row as {@code sentinel audit} shows it. */
  public record Entry(long id, OffsetDateTime at, String instance, String checkName, String subject, String action,
                      String stateBefore, String stateAfter, String detail) {}

  private final String instance;

  public Audit(String instance) {
    this.instance = instance;
  }

  public String instance() {
    return instance;
  }

  public void record(Handle h, Instant at, String check, Action action, String detail) {
    h.createUpdate("""
            INSERT INTO intake.sentinel_audit (at, instance, check_name, subject, action, state_before, state_after, detail)
            VALUES (:at, :instance, :check, :subject, :action, :before, :after, :detail)""")
        .bind("at", at).bind("instance", instance).bind("check", check)
        .bind("subject", action.subject()).bind("action", action.action())
        .bind("before", action.stateBefore()).bind("after", action.stateAfter()).bind("detail", detail)
        .execute();
  }

  /** Heals at or after {@code since}, oldest first. */
  public static List<Entry> since(Jdbi jdbi, Instant since) {
    return jdbi.withHandle(h -> h.createQuery("""
            SELECT id, at, instance, check_name, subject, action, state_before, state_after, detail
            FROM intake.sentinel_audit WHERE at >= :since ORDER BY at, id""")
        .bind("since", since)
        .map((rs, ctx) -> new Entry(rs.getLong("id"), rs.getObject("at", OffsetDateTime.class), rs.getString("instance"),
            rs.getString("check_name"), rs.getString("subject"), rs.getString("action"), rs.getString("state_before"),
            rs.getString("state_after"), rs.getString("detail")))
        .list());
  }
}
