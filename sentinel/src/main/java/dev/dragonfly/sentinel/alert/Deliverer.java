package dev.dragonfly.sentinel.alert;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the outbox in order, within a time limit per pass, at most one message a second per
 * Slack channel. A 429 waits its Retry-After (within the limit, else the row waits for a later
 * pass); a 5xx, a timeout or a refused connection is retried on later passes with backoff
 * (30 s doubling to 15 min); a refused token or channel is retried every 5 minutes and reported.
 * A row is marked sent once the destination took it, so nothing is lost across outages or
 * restarts. One sentinel delivers at a time (a session advisory lock): each row is sent once,
 * in order. Within a destination, a row that must wait holds back the rows behind it.
 */
final class Deliverer {
  private static final Logger log = LoggerFactory.getLogger(Deliverer.class);

  static final Duration CHANNEL_GAP = Duration.ofSeconds(1);
  static final Duration FIRST_BACKOFF = Duration.ofSeconds(30);
  static final Duration LONGEST_BACKOFF = Duration.ofMinutes(15);
  static final Duration REJECTED_RETRY = Duration.ofMinutes(5);
  private static final int ROWS_PER_PASS = 1000;
  private static final int RETRIES_WITHIN_PASS = 3;

  /**
   * What a delivery round did.
   *
   * @param rejected    destinations that refused our credentials or target, with what they said
   * @param slackTookIt a Slack call succeeded this round (its token and channel work)
   */
  record Round(int sent, int pending, Map<String, String> rejected, boolean slackTookIt) {}

  private final Jdbi jdbi;
  private final Optional<SlackSender> slack;
  private final Optional<SnsSender> sns;
  private final Clock clock;
  private final Sleeper sleeper;
  private final Duration timeLimit;
  private final Map<Route, Instant> lastSent = new HashMap<>();

  Deliverer(Jdbi jdbi, Optional<SlackSender> slack, Optional<SnsSender> sns, Clock clock, Sleeper sleeper, Duration timeLimit) {
    this.jdbi = jdbi;
    this.slack = slack;
    this.sns = sns;
    this.clock = clock;
    this.sleeper = sleeper;
    this.timeLimit = timeLimit;
  }

  synchronized Round deliver() {
    try (Handle h = jdbi.open()) {
      if (!h.createQuery("SELECT pg_try_advisory_lock(hashtext('intake.alert_outbox'))").mapTo(Boolean.class).one()) {
        return new Round(0, Outbox.pendingCount(h), Map.of(), false); // another sentinel is delivering
      }
      try {
        return deliver(h);
      } finally {
        h.createQuery("SELECT pg_advisory_unlock(hashtext('intake.alert_outbox'))").mapTo(Boolean.class).one();
      }
    }
  }

  private Round deliver(Handle h) {
    Instant deadline = clock.instant().plus(timeLimit);
    Set<Route> heldBack = new HashSet<>();
    Set<Long> messagesNotPosted = new HashSet<>();
    Map<String, String> rejected = new LinkedHashMap<>();
    int sent = 0;
    boolean slackTookIt = false;
    rows:
    for (Outbox.Row row : Outbox.pending(h, ROWS_PER_PASS)) {
      if (heldBack.contains(row.route())) continue;
      if (row.nextAttemptAt().isAfter(clock.instant())) {
        heldBack.add(row.route()); // in order: nothing overtakes a row that waits
        continue;
      }
      boolean threaded = row.operation().equals(Outbox.UPDATE) || row.operation().equals(Outbox.REPLY);
      if (threaded && (row.ts() == null || messagesNotPosted.contains(row.messageId()))) {
        heldBack.add(row.route()); // its message is not posted yet
        continue;
      }
      Outcome outcome = null;
      for (int attempt = 0; attempt <= RETRIES_WITHIN_PASS; attempt++) {
        if (!waitForChannel(row.route(), deadline)) break rows;
        outcome = send(row);
        lastSent.put(row.route(), clock.instant());
        if (!(outcome instanceof Outcome.RetryAfter r) || clock.instant().plus(r.delay()).isAfter(deadline)) break;
        log.info("alert to {} rate limited: waiting {} s as Retry-After asks", row.route(), r.delay().toSeconds());
        if (!sleep(r.delay())) break rows;
      }
      Instant now = clock.instant();
      if (outcome instanceof Outcome.Sent s) {
        Outbox.sent(h, row, s, now);
        sent++;
        slackTookIt |= row.route().isSlack();
      } else if (outcome instanceof Outcome.RetryAfter r) {
        Outbox.retryAt(h, row, now.plus(r.delay()), r.error());
        heldBack.add(row.route());
      } else if (outcome instanceof Outcome.Failed f) {
        Duration backoff = backoff(row.attempts() + 1);
        Outbox.retryAt(h, row, now.plus(backoff), f.error());
        log.warn("alert to {} not delivered ({}); tried again in {} s", row.route(), f.error(), backoff.toSeconds());
        heldBack.add(row.route());
      } else if (outcome instanceof Outcome.Rejected r) {
        Outbox.retryAt(h, row, now.plus(REJECTED_RETRY), r.error());
        rejected.put(row.route().key(), r.error());
        heldBack.add(row.route());
      }
      if (row.operation().equals(Outbox.POST) && !(outcome instanceof Outcome.Sent)) messagesNotPosted.add(row.messageId());
    }
    return new Round(sent, Outbox.pendingCount(h), rejected, slackTookIt);
  }

  private Outcome send(Outbox.Row row) {
    return switch (row.operation()) {
      case Outbox.POST -> slack.map(s -> s.post(row.route().channel(), row.text("text"), row.text("blocks")))
          .orElseGet(() -> notConfigured(row));
      case Outbox.UPDATE -> slack.map(s -> s.update(row.channelId(), row.ts(), row.text("text"), row.text("blocks")))
          .orElseGet(() -> notConfigured(row));
      case Outbox.REPLY -> slack.map(s -> s.reply(row.channelId(), row.ts(), row.text("text"))).orElseGet(() -> notConfigured(row));
      case Outbox.WEBHOOK -> slack.map(s -> s.webhook(row.route(), row.text("text"), row.text("blocks")))
          .orElseGet(() -> notConfigured(row));
      case Outbox.PUBLISH -> sns.map(s -> s.publish(row.text("sns_subject"), row.text("text"), row.severity(), row.check(),
          row.kind())).orElseGet(() -> notConfigured(row));
      default -> new Outcome.Rejected("unknown outbox operation " + row.operation());
    };
  }

  /** A row written while a destination was configured that this sentinel no longer has: kept for one that has it. */
  private static Outcome notConfigured(Outbox.Row row) {
    return new Outcome.Rejected(row.route() + " is not configured on this sentinel");
  }

  /** At most one message a second per destination; false if that would pass the deadline. */
  private boolean waitForChannel(Route route, Instant deadline) {
    Instant last = lastSent.get(route);
    Instant now = clock.instant();
    if (!now.isBefore(deadline)) return false;
    if (last == null || !route.isSlack()) return true;
    Duration wait = Duration.between(now, last.plus(CHANNEL_GAP));
    if (wait.isNegative() || wait.isZero()) return true;
    if (now.plus(wait).isAfter(deadline)) return false;
    return sleep(wait);
  }

  private boolean sleep(Duration d) {
    try {
      sleeper.sleep(d);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  static Duration backoff(int attempts) {
    Duration d = FIRST_BACKOFF.multipliedBy(1L << Math.min(Math.max(attempts - 1, 0), 10));
    return d.compareTo(LONGEST_BACKOFF) > 0 ? LONGEST_BACKOFF : d;
  }
}
