package dev.dragonfly.sentinel.alert;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.ArrayList;
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
 * A row is marked sent (with the sentinel that sent it) once the destination took it, so nothing
 * is lost across outages or restarts. One sentinel delivers at a time (a session advisory lock):
 * each row is sent once, in order. Within a destination, a row that must wait holds back the
 * rows behind it.
 *
 * <p>Only this sentinel's own destinations: a row for one it does not have is left, untouched,
 * for a sentinel that has it. One message must not hold its destination for good: an update of a
 * message someone deleted posts the message anew; a message the destination refuses as such
 * ({@code msg_too_long}) is parked at once; one that has failed {@link #PARK_AFTER} times stops
 * holding the rows behind it, and is parked as soon as the destination takes one of them (so an
 * outage, where nothing is taken, parks nothing). Parked rows are kept and reported.
 */
final class Deliverer {
  private static final Logger log = LoggerFactory.getLogger(Deliverer.class);

  static final Duration CHANNEL_GAP = Duration.ofSeconds(1);
  static final Duration FIRST_BACKOFF = Duration.ofSeconds(30);
  static final Duration LONGEST_BACKOFF = Duration.ofMinutes(15);
  static final Duration REJECTED_RETRY = Duration.ofMinutes(5);
  /** Failed sends after which a row no longer holds back its destination (about 8 minutes of backoff). */
  static final int PARK_AFTER = 5;
  private static final int ROWS_PER_PASS = 1000;
  private static final int RETRIES_WITHIN_PASS = 3;

  /**
   * What a delivery round did.
   *
   * @param rejected    destinations that refused our credentials or target, with what they said
   * @param slackTookIt a Slack call succeeded this round (its token and channel work)
   * @param heldBack    destinations whose rows wait behind one that must wait, with why
   * @param parked      rows parked this round, one line each
   */
  record Round(int sent, int pending, Map<String, String> rejected, boolean slackTookIt, Map<String, String> heldBack,
               List<String> parked) {
    static Round nothing(int pending) {
      return new Round(0, pending, Map.of(), false, Map.of(), List.of());
    }
  }

  private final Jdbi jdbi;
  private final String instance;
  private final Set<Route> destinations;
  private final Optional<SlackSender> slack;
  private final Optional<SnsSender> sns;
  private final Clock clock;
  private final Sleeper sleeper;
  private final Duration timeLimit;
  private final Map<Route, Instant> lastSent = new HashMap<>();

  Deliverer(Jdbi jdbi, String instance, Set<Route> destinations, Optional<SlackSender> slack, Optional<SnsSender> sns,
            Clock clock, Sleeper sleeper, Duration timeLimit) {
    this.jdbi = jdbi;
    this.instance = instance;
    this.destinations = Set.copyOf(destinations);
    this.slack = slack;
    this.sns = sns;
    this.clock = clock;
    this.sleeper = sleeper;
    this.timeLimit = timeLimit;
  }

  synchronized Round deliver() {
    try (Handle h = jdbi.open()) {
      if (destinations.isEmpty()) return Round.nothing(Outbox.pendingCount(h)); // nothing of ours to send: touch nothing
      if (!h.createQuery("SELECT pg_try_advisory_lock(hashtext('intake.alert_outbox'))").mapTo(Boolean.class).one()) {
        return Round.nothing(Outbox.pendingCount(h)); // another sentinel is delivering
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
    Map<Route, String> heldBack = new LinkedHashMap<>();
    Set<Long> postsGivenUp = new HashSet<>(); // posts past the bound: their updates and replies do not hold the route
    Map<Long, Outcome.Sent> postedNow = new HashMap<>(); // where this round's posts landed, for rows read before
    Map<Route, List<Outbox.Row>> suspects = new HashMap<>();
    Map<String, String> rejected = new LinkedHashMap<>();
    List<String> parked = new ArrayList<>();
    int sent = 0;
    boolean slackTookIt = false;
    rows:
    for (Outbox.Row row : Outbox.pending(h, destinations, ROWS_PER_PASS)) {
      Route route = row.route();
      if (heldBack.containsKey(route)) continue;
      boolean pastBound = row.attempts() >= PARK_AFTER;
      if (row.nextAttemptAt().isAfter(clock.instant())) {
        if (pastBound) {
          if (row.operation().equals(Outbox.POST)) postsGivenUp.add(row.messageId());
        } else {
          heldBack.put(route, waiting(row)); // in order: nothing overtakes a row that waits
        }
        continue;
      }
      Outcome.Sent where = postedNow.get(row.messageId());
      String channelId = where != null ? where.channelId() : row.channelId();
      String ts = where != null ? where.ts() : row.ts();
      boolean threaded = row.operation().equals(Outbox.UPDATE) || row.operation().equals(Outbox.REPLY);
      // An update carries the whole message: with its post parked, it is posted in its place.
      boolean postAnew = row.operation().equals(Outbox.UPDATE) && ts == null && row.postParked();
      if (threaded && ts == null && !postAnew) {
        if (!postsGivenUp.contains(row.messageId())) heldBack.put(route, "its message is not posted yet");
        continue;
      }
      Outcome outcome = null;
      for (int attempt = 0; attempt <= RETRIES_WITHIN_PASS; attempt++) {
        if (!waitForChannel(route, deadline)) break rows;
        outcome = postAnew ? post(row) : send(row, channelId, ts);
        lastSent.put(route, clock.instant());
        if (outcome instanceof Outcome.Permanent p && p.messageGone() && row.operation().equals(Outbox.UPDATE) && !postAnew) {
          log.warn("alert message on {} is gone ({}): posting it anew", route, p.error());
          postAnew = true;
          continue;
        }
        if (!(outcome instanceof Outcome.RetryAfter r) || clock.instant().plus(r.delay()).isAfter(deadline)) break;
        log.info("alert to {} rate limited: waiting {} s as Retry-After asks", route, r.delay().toSeconds());
        if (!sleep(r.delay())) break rows;
      }
      Instant now = clock.instant();
      if (outcome instanceof Outcome.Sent s) {
        boolean posted = postAnew || row.operation().equals(Outbox.POST);
        Outbox.sent(h, row, s, now, instance, posted);
        if (posted && row.messageId() != null) postedNow.put(row.messageId(), s);
        sent++;
        slackTookIt |= route.isSlack();
        // the destination takes messages: what failed before this one is the message, not the destination
        for (Outbox.Row suspect : suspects.getOrDefault(route, List.of())) park(h, suspect, now, "failed " + PARK_AFTER
            + " times or more while later alerts went through", parked);
        suspects.remove(route);
      } else if (outcome instanceof Outcome.RetryAfter r) {
        Outbox.retryAt(h, row, now.plus(r.delay()), r.error());
        heldBack.put(route, "rate limited: " + r.error());
      } else if (outcome instanceof Outcome.Failed f) {
        Duration backoff = backoff(row.attempts() + 1);
        Outbox.retryAt(h, row, now.plus(backoff), f.error());
        log.warn("alert to {} not delivered ({}); tried again in {} s", route, f.error(), backoff.toSeconds());
        if (row.attempts() + 1 >= PARK_AFTER) {
          suspects.computeIfAbsent(route, k -> new ArrayList<>()).add(row);
          if (row.operation().equals(Outbox.POST)) postsGivenUp.add(row.messageId());
        } else {
          heldBack.put(route, waiting(row.attempts() + 1, f.error()));
        }
      } else if (outcome instanceof Outcome.Rejected r) {
        Outbox.retryAt(h, row, now.plus(REJECTED_RETRY), r.error());
        rejected.put(route.key(), r.error());
        heldBack.put(route, "refused: " + r.error());
      } else if (outcome instanceof Outcome.Permanent p) {
        park(h, row, now, p.error(), parked);
      }
    }
    return new Round(sent, Outbox.pendingCount(h), rejected, slackTookIt, heldBackOnly(h, heldBack), parked);
  }

  private void park(Handle h, Outbox.Row row, Instant now, String why, List<String> parked) {
    Outbox.park(h, row, now, why);
    String line = row.route() + " " + row.operation() + " of " + row.check() + " (" + row.kind() + "): " + why;
    log.error("alert parked, it will not be sent again: {}; see runbooks/alerts.md", line);
    parked.add(line);
  }

  /** Only destinations with rows actually waiting behind the one that holds them count as held back. */
  private static Map<String, String> heldBackOnly(Handle h, Map<Route, String> heldBack) {
    Map<String, String> held = new LinkedHashMap<>();
    heldBack.forEach((route, why) -> {
      int waiting = h.createQuery("""
              SELECT count(*) FROM intake.alert_outbox WHERE route = :route AND sent_at IS NULL AND parked_at IS NULL""")
          .bind("route", route.key()).mapTo(Integer.class).one();
      if (waiting > 1) held.put(route.key(), (waiting - 1) + " alert(s) wait behind one that " + why);
    });
    return held;
  }

  private static String waiting(Outbox.Row row) {
    return row.attempts() == 0 ? "waits its turn" : waiting(row.attempts(), row.lastError());
  }

  private static String waiting(int attempts, String error) {
    return "failed " + attempts + " time(s)" + (error == null || error.isEmpty() ? "" : " (" + error + ")");
  }

  private Outcome send(Outbox.Row row, String channelId, String ts) {
    return switch (row.operation()) {
      case Outbox.POST -> post(row);
      case Outbox.UPDATE -> slack.map(s -> s.update(channelId, ts, row.text("text"), row.text("blocks")))
          .orElseGet(() -> notConfigured(row));
      case Outbox.REPLY -> slack.map(s -> s.reply(channelId, ts, row.text("text"))).orElseGet(() -> notConfigured(row));
      case Outbox.WEBHOOK -> slack.map(s -> s.webhook(row.route(), row.text("text"), row.text("blocks")))
          .orElseGet(() -> notConfigured(row));
      case Outbox.PUBLISH -> sns.map(s -> s.publish(row.text("sns_subject"), row.text("text"), row.severity(), row.check(),
          row.kind())).orElseGet(() -> notConfigured(row));
      default -> new Outcome.Rejected("unknown outbox operation " + row.operation());
    };
  }

  private Outcome post(Outbox.Row row) {
    return slack.map(s -> s.post(row.route().channel(), row.text("text"), row.text("blocks"))).orElseGet(() -> notConfigured(row));
  }

  /** Cannot happen for a destination of ours (they are what the senders reach); said plainly if it does. */
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
