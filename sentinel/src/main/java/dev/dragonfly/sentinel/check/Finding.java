package dev.dragonfly.sentinel.check;

import java.util.Map;

/**
 * One subject a check found wrong: a batch, an object, a relation, a session. Alerts key their
 * incidents on check and subject, and group one check's findings of a pass into one message.
 *
 * @param subject stable and human-readable: {@code batch 42}, {@code object incoming/acme/a.csv}
 * @param facts   what an operator needs (ages, counts, ids), never row values
 */
public record Finding(String subject, Status status, String summary, Map<String, Object> facts) {
  public Finding {
    facts = Map.copyOf(facts);
  }
}
