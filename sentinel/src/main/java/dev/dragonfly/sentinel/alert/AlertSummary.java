package dev.dragonfly.sentinel.alert;

import dev.dragonfly.sentinel.check.Status;
import java.time.Instant;
import java.util.List;

/**
 * The alerts part of a pass's report: the open incidents (silenced ones too, with their silence),
 * what the pass announced and sent, what is still waiting in the outbox, and what went wrong.
 *
 * @param incidents open incidents, including those whose check did not run this pass
 * @param announced incident changes this pass decided to send (or log)
 * @param sent      outbox rows delivered this pass (this pass's and earlier ones)
 * @param pending   outbox rows still to send
 * @param problems  why alerts could not be decided or delivered (a refused token, the database, a
 *                  parked alert, a destination held back)
 * @param parked    alerts parked within the last hour: never to be sent, see runbooks/alerts.md
 * @param heldBack  destinations whose alerts wait behind one that cannot be sent yet
 */
public record AlertSummary(List<OpenIncident> incidents, int announced, int sent, int pending, List<String> problems,
                           int parked, List<String> heldBack) {
  public AlertSummary {
    incidents = List.copyOf(incidents);
    problems = List.copyOf(problems);
    heldBack = List.copyOf(heldBack);
  }

  public AlertSummary(List<OpenIncident> incidents, int announced, int sent, int pending, List<String> problems) {
    this(incidents, announced, sent, pending, problems, 0, List.of());
  }

  /** One open incident as the report shows it. */
  public record OpenIncident(long id, String check, String subject, Status severity, Instant openedAt, boolean flapping,
                             Long silence, String silencedUntil) {}

  /** A pass whose alerts could not run at all: only the problem is known. */
  public static AlertSummary failed(String problem) {
    return new AlertSummary(List.of(), 0, 0, 0, List.of(problem));
  }
}
