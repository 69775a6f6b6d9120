package dev.dragonfly.sentinel.alert;

import dev.dragonfly.intake.TransientFailures;
import dev.dragonfly.sentinel.SentinelConfig.AlertSettings;
import dev.dragonfly.sentinel.check.Action;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.Finding;
import dev.dragonfly.sentinel.check.Status;
import dev.dragonfly.sentinel.heal.SentinelState;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import software.amazon.awssdk.services.sns.SnsClient;

/**
 * Routes a pass's findings to people (README "Alerts"; runbooks/alerts.md). Each pass: decide
 * the incidents' changes and write what to send to the outbox in one transaction (serialised
 * across sentinels by an advisory lock), then deliver the outbox within a time limit. Neither
 * step ever throws into the pass: what went wrong is in the summary and the log.
 *
 * <p>A Slack token or channel that Slack refuses is itself an incident of the check
 * {@value #ALERTING}, CRITICAL, sent to the alerts SNS topic only and logged at ERROR.
 */
public final class Alerts implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Alerts.class);

  /** The pseudo-check of alert delivery itself: Slack refusing the token or channel. */
  public static final String ALERTING = "alerting";
  private static final String SLACK_STATE = "alerts.slack_refused";
  /** A parked alert keeps the {@value #ALERTING} incident open this long. */
  static final java.time.Duration PARKED_REPORTED_FOR = java.time.Duration.ofHours(1);

  private final Jdbi jdbi;
  private final Incidents.Policy policy;
  private final Routing routing;
  private final MessageRenderer renderer;
  private final Deliverer deliverer;
  private final Optional<SlackSender> slack;
  private final boolean slackConfigured;

  Alerts(Jdbi jdbi, AlertSettings settings, String instance, Optional<SlackSender> slack, Optional<SnsSender> sns,
         Map<Status, Set<Route>> destinations, Clock clock, Sleeper sleeper) {
    this.jdbi = jdbi;
    this.policy = new Incidents.Policy(settings.repeatInterval(), settings.clearPasses(), settings.flapWindow());
    this.routing = new Routing(instance, destinations);
    this.renderer = new MessageRenderer(instance, settings.runbookBaseUrl());
    this.deliverer = new Deliverer(jdbi, instance, routing.destinations(), slack, sns, clock, sleeper, settings.sendTimeLimit());
    this.slack = slack;
    this.slackConfigured = slack.isPresent();
  }

  /**
   * Alerts as configured: Slack with {@code slackToken} (resolved from its secret by the caller)
   * or the webhooks, SNS with the alerts topic and {@code sns}. Only the destinations this
   * sentinel can reach are its own: it registers them for the deployment and delivers to them.
   */
  public static Alerts create(AlertSettings settings, Jdbi jdbi, String instance, Optional<String> slackToken,
                              Optional<SnsClient> sns, Clock clock, Sleeper sleeper) {
    Map<Route, URI> webhooks = new HashMap<>();
    settings.webhookUrl().ifPresent(u -> webhooks.put(Route.WEBHOOK_ALERTS, u));
    settings.warningsWebhookUrl().ifPresent(u -> webhooks.put(Route.WEBHOOK_WARNINGS, u));
    Optional<SlackSender> slack = slackToken.isPresent() || !webhooks.isEmpty()
        ? Optional.of(new SlackSender(settings.slackApiUrl(), slackToken, webhooks)) : Optional.empty();
    Optional<SnsSender> snsSender = settings.alertsTopicArn().flatMap(t -> sns.map(c -> new SnsSender(c, t)));
    Map<Status, Set<Route>> own = new EnumMap<>(Status.class);
    if (slackToken.isPresent()) {
      settings.alertsChannel().ifPresent(c -> add(own, Status.CRITICAL, Route.channel(c)));
      settings.warningsChannel().ifPresent(c -> add(own, Status.WARNING, Route.channel(c)));
    } else {
      if (webhooks.containsKey(Route.WEBHOOK_ALERTS)) add(own, Status.CRITICAL, Route.WEBHOOK_ALERTS);
      if (webhooks.containsKey(Route.WEBHOOK_WARNINGS)) add(own, Status.WARNING, Route.WEBHOOK_WARNINGS);
    }
    if (snsSender.isPresent()) add(own, Status.CRITICAL, Route.SNS);
    return new Alerts(jdbi, settings, instance, slack, snsSender, own, clock, sleeper);
  }

  private static void add(Map<Status, Set<Route>> routes, Status severity, Route route) {
    routes.computeIfAbsent(severity, s -> new LinkedHashSet<>()).add(route);
  }

  /**
   * Decides and sends this pass's alerts. {@code results} are the pass's check results. A pass
   * with nothing to send costs one connection: the decision, and the outbox found empty. A
   * sentinel without destinations decides (to the deployment's routes) and sends nothing.
   */
  public AlertSummary process(List<CheckResult> results, Instant now) {
    List<String> problems = new ArrayList<>();
    Decided decided;
    try {
      decided = jdbi.inTransaction(h -> {
        Alerting alerting = alerting(h, now);
        List<CheckResult> all = new ArrayList<>(results);
        all.add(alerting.result());
        return decide(h, all, now).with(alerting, Outbox.pendingCount(h));
      });
    } catch (RuntimeException e) {
      String problem = "alerts not decided: " + TransientFailures.describe(e);
      log.error("{}; the next pass decides again", problem);
      return AlertSummary.failed(problem);
    }
    if (decided.pending() == 0 || routing.destinations().isEmpty()) {
      // nothing of ours to send: what waits is for a sentinel with that destination
      return summary(decided, 0, decided.pending(), problems, Map.of());
    }

    Deliverer.Round round = deliver(problems);
    int sent = round.sent();
    int pending = round.pending();
    Optional<String> refused = round.rejected().entrySet().stream().filter(e -> new Route(e.getKey()).isSlack())
        .map(e -> e.getKey() + ": " + e.getValue()).findFirst();
    refused.ifPresent(r -> log.error("SLACK REFUSED THE ALERTS ({}): fix SLACK_BOT_TOKEN, SLACK_WEBHOOK_URL or the channel; "
        + "alerts wait in the outbox until then", r));
    round.rejected().forEach((route, error) -> problems.add(route + " refused: " + error));
    round.parked().forEach(p -> problems.add("alert parked: " + p));
    boolean slackChanged = slackConfigured && !refused.equals(decided.alerting().slackRefused())
        && (refused.isPresent() || round.slackTookIt());
    if (slackChanged) saveSlackRefusal(refused, now);
    Map<String, String> heldBack = round.heldBack();
    if (slackChanged || !round.parked().isEmpty()) {
      // Slack's state changed or alerts were parked: say so now (to SNS), not a pass later.
      try {
        Decided aboutAlerting = jdbi.inTransaction(h -> {
          Alerting after = alerting(h, now);
          return decide(h, List.of(after.result()), now).with(after, 0);
        });
        decided = decided.and(aboutAlerting);
        Deliverer.Round again = deliver(problems);
        sent += again.sent();
        pending = again.pending();
        heldBack = again.heldBack().isEmpty() ? heldBack : again.heldBack();
      } catch (RuntimeException e) {
        problems.add("alerts about alerting not decided: " + TransientFailures.describe(e));
      }
    }
    heldBack.forEach((route, why) -> problems.add(route + " held back: " + why));
    return summary(decided, sent, Math.max(pending, 0), problems, heldBack);
  }

  private AlertSummary summary(Decided d, int sent, int pending, List<String> problems, Map<String, String> heldBack) {
    return new AlertSummary(d.open(), d.announced(), sent, pending, problems, d.alerting().parked().count(),
        List.copyOf(heldBack.keySet()));
  }

  /**
   * The state of alert delivery itself, from the database so that every pass decides it alike:
   * what Slack said last (a refusal, in {@code sentinel_state}, written by the sentinel that
   * delivers) and the alerts parked within {@link #PARKED_REPORTED_FOR}.
   */
  private record Alerting(Optional<String> slackRefused, Outbox.Parked parked) {
    static final Alerting NONE = new Alerting(Optional.empty(), new Outbox.Parked(0, null));

    /** The {@value #ALERTING} check: CRITICAL while Slack refuses our token or channel, or alerts were parked. */
    CheckResult result() {
      List<Finding> findings = new ArrayList<>();
      slackRefused.ifPresent(r -> {
        String summary = "Slack refuses the alerts (" + r + "): fix the token (SLACK_BOT_TOKEN or its secret), the "
            + "webhook URL or the channel; the alerts wait in the outbox; see 'sentinel --json'";
        findings.add(new Finding("slack", Status.CRITICAL, summary, Map.of("refused", r)));
      });
      if (parked.count() > 0) {
        String summary = parked.count() + " alert(s) could not be delivered and were parked in the last "
            + PARKED_REPORTED_FOR.toMinutes() + " min, latest " + parked.latest() + "; what they said is in "
            + "'sentinel --json' and the log; see runbooks/alerts.md";
        findings.add(new Finding("parked", Status.CRITICAL, summary, Map.of("parked", parked.count(), "latest", parked.latest())));
      }
      if (findings.isEmpty()) return CheckResult.of(ALERTING, Status.OK, "alerts are delivered");
      return new CheckResult(ALERTING, Status.CRITICAL, findings.stream().map(Finding::summary)
          .collect(Collectors.joining("; ")), Map.of(), findings, List.of());
    }
  }

  private static Alerting alerting(Handle h, Instant now) {
    Optional<String> refused = SentinelState.read(h, SLACK_STATE).map(n -> n.path("error").asText(null));
    return new Alerting(refused, Outbox.parkedSince(h, now.minus(PARKED_REPORTED_FOR)));
  }

  /**
   * What the decision step found: the open incidents, how many changes it announced, the state
   * of alert delivery it decided on and the outbox rows waiting after it.
   */
  private record Decided(List<AlertSummary.OpenIncident> open, int announced, Alerting alerting, int pending) {
    Decided(List<AlertSummary.OpenIncident> open, int announced) {
      this(open, announced, Alerting.NONE, 0);
    }

    Decided with(Alerting alerting, int pending) {
      return new Decided(open, announced, alerting, pending);
    }

    /** This pass's decisions and a later round's of the same pass: the later state of an incident, and of alerting, wins. */
    Decided and(Decided later) {
      Map<Long, AlertSummary.OpenIncident> byId = new LinkedHashMap<>();
      open.forEach(i -> byId.put(i.id(), i));
      later.open.forEach(i -> byId.put(i.id(), i));
      List<Long> stillOpen = later.open.stream().map(AlertSummary.OpenIncident::id).toList();
      byId.values().removeIf(i -> i.check().equals(ALERTING) && !stillOpen.contains(i.id()));
      return new Decided(List.copyOf(byId.values()), announced + later.announced, later.alerting, pending);
    }
  }

  private Deliverer.Round deliver(List<String> problems) {
    try {
      return deliverer.deliver();
    } catch (RuntimeException e) {
      String problem = "alerts not delivered: " + TransientFailures.describe(e);
      log.error("{}; they wait in the outbox", problem);
      problems.add(problem);
      return Deliverer.Round.nothing(-1);
    }
  }

  private Decided decide(Handle h, List<CheckResult> results, Instant now) {
    h.execute("SELECT pg_advisory_xact_lock(hashtext('intake.alert_incidents'))");
    Routing.Deployment deployment = routing.deployment(h, now);
    List<Silences.Silence> silences = Silences.active(h, now);
    List<Incidents.Step> steps = new ArrayList<>(Incidents.evaluate(h, results, now, policy, silences));
    if (deployment.known()) announceWhatAwaitedRoutes(h, steps);
    Map<String, List<Action>> did = new HashMap<>();
    results.forEach(r -> did.put(r.check(), r.actions()));

    Map<String, List<Integer>> byCheck = new LinkedHashMap<>();
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i).announced()) byCheck.computeIfAbsent(steps.get(i).incident().check(), c -> new ArrayList<>()).add(i);
    }
    int announced = 0;
    Map<Long, Boolean> awaiting = new HashMap<>();
    for (Map.Entry<String, List<Integer>> check : byCheck.entrySet()) {
      Map<Integer, Set<Route>> routes = new LinkedHashMap<>();
      for (int i : check.getValue()) {
        Incidents.Step s = steps.get(i);
        logChange(s);
        Set<Route> r = new LinkedHashSet<>();
        s.incident().routes().forEach(k -> r.add(new Route(k)));
        if (s.change() != Change.RESOLVED) r.addAll(deployment.forSeverity(s.incident().severity(), s.incident().check()));
        // Decided before any sentinel with a destination was seen: logged now, sent once one is.
        awaiting.put(s.incident().id(), !deployment.known() && s.change() != Change.RESOLVED);
        routes.put(i, r);
        announced++;
      }
      Set<Route> every = routes.values().stream().flatMap(Set::stream).collect(Collectors.toCollection(LinkedHashSet::new));
      for (Route route : every) {
        List<Incidents.Step> to = routes.entrySet().stream().filter(e -> e.getValue().contains(route))
            .map(e -> steps.get(e.getKey())).toList();
        enqueue(h, check.getKey(), route, to, steps, did.getOrDefault(check.getKey(), List.of()), now);
      }
      for (Map.Entry<Integer, Set<Route>> e : routes.entrySet()) {
        steps.set(e.getKey(), steps.get(e.getKey()).announcedTo(now,
            e.getValue().stream().map(Route::key).collect(Collectors.toSet())));
      }
    }
    Incidents.save(h, steps);
    if (!awaiting.isEmpty()) {
      var batch = h.prepareBatch("UPDATE intake.alert_incidents SET awaiting_routes = :awaiting WHERE id = :id");
      awaiting.forEach((id, a) -> batch.bind("awaiting", a).bind("id", id).add());
      batch.execute();
    }
    List<AlertSummary.OpenIncident> open = steps.stream().filter(s -> s.incident().open()).map(s -> {
      Incident i = s.incident();
      return new AlertSummary.OpenIncident(i.id(), i.check(), i.subject(), i.severity(), i.openedAt(), i.flapping(),
          s.silence().map(Silences.Silence::id).orElse(null), s.silence().map(x -> x.expiresAt().toString()).orElse(null));
    }).toList();
    return new Decided(open, announced);
  }

  /**
   * Open incidents a pass decided while no sentinel with a destination was known (logged only):
   * announced now as opened, to the routes the deployment has since.
   */
  private static void announceWhatAwaitedRoutes(Handle h, List<Incidents.Step> steps) {
    Set<Long> awaiting = Set.copyOf(h.createQuery(
        "SELECT id FROM intake.alert_incidents WHERE status = 'open' AND awaiting_routes").mapTo(Long.class).list());
    if (awaiting.isEmpty()) return;
    for (int i = 0; i < steps.size(); i++) {
      Incidents.Step s = steps.get(i);
      if (awaiting.contains(s.incident().id()) && s.seen() && s.incident().open() && !s.announced() && s.silence().isEmpty()) {
        steps.set(i, new Incidents.Step(s.incident(), Change.OPENED, s.silence(), true));
      }
    }
  }

  /** One check's announcements to one destination: one grouped message (Slack: a post, or an update and a reply per message). */
  private void enqueue(Handle h, String check, Route route, List<Incidents.Step> to, List<Incidents.Step> pass,
                       List<Action> did, Instant now) {
    Status severity = Status.worst(to.stream().map(s -> s.incident().severity()).toList());
    String kind = kind(to);
    if (!route.isChannel()) {
      MessageRenderer.Rendered r = renderer.message(check, entries(to), did, now);
      Outbox.enqueue(h, now, route, route.isWebhook() ? Outbox.WEBHOOK : Outbox.PUBLISH, check, severity, kind, null,
          payload(r.text(), r.blocks(), r.snsSubject()));
      return;
    }
    Map<Long, Long> messages = Outbox.messagesOn(h, route, to.stream().map(s -> s.incident().id()).toList());
    Map<Long, List<Incidents.Step>> updates = new LinkedHashMap<>();
    List<Incidents.Step> fresh = new ArrayList<>();
    for (Incidents.Step s : to) {
      Long message = messages.get(s.incident().id());
      if (message == null) fresh.add(s);
      else updates.computeIfAbsent(message, m -> new ArrayList<>()).add(s);
    }
    Map<Long, Incidents.Step> thisPass = new HashMap<>();
    pass.forEach(s -> thisPass.put(s.incident().id(), s));
    updates.forEach((message, changed) -> {
      // the whole message again, every incident it shows as it is now, then what changed in its thread
      List<MessageRenderer.Entry> shown = Outbox.incidentsOf(h, message).stream().map(i -> {
        Incidents.Step s = thisPass.get(i.id());
        return s == null ? new MessageRenderer.Entry(i, Change.NONE) : new MessageRenderer.Entry(s.incident(),
            changed.contains(s) ? s.change() : Change.NONE);
      }).toList();
      MessageRenderer.Rendered r = renderer.message(check, shown, did, now);
      Status shownSeverity = Status.worst(shown.stream().map(e -> e.incident().severity()).toList());
      Outbox.enqueue(h, now, route, Outbox.UPDATE, check, shownSeverity, kind(changed), message, payload(r.text(), r.blocks(), null));
      Outbox.enqueue(h, now, route, Outbox.REPLY, check, severity, kind(changed), message,
          payload(renderer.reply(entries(changed)), null, null));
    });
    if (!fresh.isEmpty()) {
      long message = Outbox.newMessage(h, route, check, now, fresh.stream().map(s -> s.incident().id()).toList());
      MessageRenderer.Rendered r = renderer.message(check, entries(fresh), did, now);
      Outbox.enqueue(h, now, route, Outbox.POST, check, severity, kind(fresh), message, payload(r.text(), r.blocks(), null));
    }
  }

  private static List<MessageRenderer.Entry> entries(List<Incidents.Step> steps) {
    return steps.stream().map(s -> new MessageRenderer.Entry(s.incident(), s.change())).toList();
  }

  private static String kind(List<Incidents.Step> steps) {
    Set<Change> changes = steps.stream().map(Incidents.Step::change).collect(Collectors.toSet());
    return changes.size() == 1 ? changes.iterator().next().label() : "changed";
  }

  private static Map<String, String> payload(String text, String blocks, String snsSubject) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("text", text);
    if (blocks != null) p.put("blocks", blocks);
    if (snsSubject != null) p.put("sns_subject", snsSubject);
    return p;
  }

  /** Every announcement is also a log line: the route of a WARNING with no warnings channel. */
  private static void logChange(Incidents.Step s) {
    Incident i = s.incident();
    try (var check = MDC.putCloseable("check", i.check()); var incident = MDC.putCloseable("incident", String.valueOf(i.id()))) {
      if (s.change() == Change.RESOLVED || s.change() == Change.BETTER) {
        log.info("alert {} {} {}: {}", s.change().label(), i.check(), i.subject(), i.summary());
      } else {
        log.warn("alert {} {} {} {}: {}", s.change().label(), i.severity().label(), i.check(), i.subject(), i.summary());
      }
    }
  }

  private void saveSlackRefusal(Optional<String> refused, Instant now) {
    try {
      new SentinelState(jdbi).write(SLACK_STATE, refused.map(r -> (Object) Map.of("error", r, "since", now.toString()))
          .orElse(Map.of()), now);
    } catch (RuntimeException e) {
      log.warn("could not record Slack's state: {}", TransientFailures.describe(e));
    }
  }

  @Override public void close() {
    slack.ifPresent(SlackSender::close);
  }
}
