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

  private final Jdbi jdbi;
  private final Incidents.Policy policy;
  private final Routing routing;
  private final MessageRenderer renderer;
  private final Deliverer deliverer;
  private final Optional<SlackSender> slack;
  private final boolean slackConfigured;

  Alerts(Jdbi jdbi, AlertSettings settings, String instance, Optional<SlackSender> slack, Optional<SnsSender> sns,
         Clock clock, Sleeper sleeper) {
    this.jdbi = jdbi;
    this.policy = new Incidents.Policy(settings.repeatInterval(), settings.clearPasses(), settings.flapWindow());
    this.routing = new Routing(settings);
    this.renderer = new MessageRenderer(instance, settings.runbookBaseUrl());
    this.deliverer = new Deliverer(jdbi, slack, sns, clock, sleeper, settings.sendTimeLimit());
    this.slack = slack;
    this.slackConfigured = slack.isPresent();
  }

  /**
   * Alerts as configured: Slack with {@code slackToken} (resolved from its secret by the caller)
   * or the webhooks, SNS with the alerts topic and {@code sns}.
   */
  public static Alerts create(AlertSettings settings, Jdbi jdbi, String instance, Optional<String> slackToken,
                              Optional<SnsClient> sns, Clock clock, Sleeper sleeper) {
    Map<Route, URI> webhooks = new HashMap<>();
    settings.webhookUrl().ifPresent(u -> webhooks.put(Route.WEBHOOK_ALERTS, u));
    settings.warningsWebhookUrl().ifPresent(u -> webhooks.put(Route.WEBHOOK_WARNINGS, u));
    Optional<SlackSender> slack = slackToken.isPresent() || !webhooks.isEmpty()
        ? Optional.of(new SlackSender(settings.slackApiUrl(), slackToken, webhooks)) : Optional.empty();
    Optional<SnsSender> snsSender = settings.alertsTopicArn().flatMap(t -> sns.map(c -> new SnsSender(c, t)));
    return new Alerts(jdbi, settings, instance, slack, snsSender, clock, sleeper);
  }

  /**
   * Decides and sends this pass's alerts. {@code results} are the pass's check results. A pass
   * with nothing to send costs one connection: the decision, and the outbox found empty.
   */
  public AlertSummary process(List<CheckResult> results, Instant now) {
    List<String> problems = new ArrayList<>();
    Decided decided;
    try {
      decided = jdbi.inTransaction(h -> {
        Optional<String> refused = slackRefusal(h);
        List<CheckResult> all = new ArrayList<>(results);
        slackResult(refused).ifPresent(all::add);
        return decide(h, all, now).with(refused, Outbox.pendingCount(h));
      });
    } catch (RuntimeException e) {
      String problem = "alerts not decided: " + TransientFailures.describe(e);
      log.error("{}; the next pass decides again", problem);
      return AlertSummary.failed(problem);
    }
    if (decided.pending() == 0) return new AlertSummary(decided.open(), decided.announced(), 0, 0, problems);

    Deliverer.Round round = deliver(problems);
    int sent = round.sent();
    int pending = round.pending();
    Optional<String> refused = round.rejected().entrySet().stream().filter(e -> new Route(e.getKey()).isSlack())
        .map(e -> e.getKey() + ": " + e.getValue()).findFirst();
    refused.ifPresent(r -> log.error("SLACK REFUSED THE ALERTS ({}): fix SLACK_BOT_TOKEN, SLACK_WEBHOOK_URL or the channel; "
        + "alerts wait in the outbox until then", r));
    round.rejected().forEach((route, error) -> problems.add(route + " refused: " + error));
    if (slackConfigured && !refused.equals(decided.slackRefused()) && (refused.isPresent() || round.slackTookIt())) {
      // Slack's state changed: say so now (to SNS), not a pass later.
      saveSlackRefusal(refused, now);
      try {
        Decided aboutSlack = jdbi.inTransaction(h -> decide(h, List.of(slackResult(refused).orElseThrow()), now));
        decided = decided.and(aboutSlack);
        Deliverer.Round again = deliver(problems);
        sent += again.sent();
        pending = again.pending();
      } catch (RuntimeException e) {
        problems.add("alerts about Slack not decided: " + TransientFailures.describe(e));
      }
    }
    return new AlertSummary(decided.open(), decided.announced(), sent, Math.max(pending, 0), problems);
  }

  /**
   * What the decision step found: the open incidents, how many changes it announced, what Slack
   * said last (a refusal, from {@code sentinel_state}) and the outbox rows waiting after it.
   */
  private record Decided(List<AlertSummary.OpenIncident> open, int announced, Optional<String> slackRefused, int pending) {
    Decided(List<AlertSummary.OpenIncident> open, int announced) {
      this(open, announced, Optional.empty(), 0);
    }

    Decided with(Optional<String> slackRefused, int pending) {
      return new Decided(open, announced, slackRefused, pending);
    }

    /** This pass's decisions and a later round's of the same pass: the later state of an incident wins. */
    Decided and(Decided later) {
      Map<Long, AlertSummary.OpenIncident> byId = new LinkedHashMap<>();
      open.forEach(i -> byId.put(i.id(), i));
      later.open.forEach(i -> byId.put(i.id(), i));
      List<Long> stillOpen = later.open.stream().map(AlertSummary.OpenIncident::id).toList();
      byId.values().removeIf(i -> i.check().equals(ALERTING) && !stillOpen.contains(i.id()));
      return new Decided(List.copyOf(byId.values()), announced + later.announced, slackRefused, pending);
    }
  }

  private Deliverer.Round deliver(List<String> problems) {
    try {
      return deliverer.deliver();
    } catch (RuntimeException e) {
      String problem = "alerts not delivered: " + TransientFailures.describe(e);
      log.error("{}; they wait in the outbox", problem);
      problems.add(problem);
      return new Deliverer.Round(0, -1, Map.of(), false);
    }
  }

  private Decided decide(Handle h, List<CheckResult> results, Instant now) {
    h.execute("SELECT pg_advisory_xact_lock(hashtext('intake.alert_incidents'))");
    List<Silences.Silence> silences = Silences.active(h, now);
    List<Incidents.Step> steps = new ArrayList<>(Incidents.evaluate(h, results, now, policy, silences));
    Map<String, List<Action>> did = new HashMap<>();
    results.forEach(r -> did.put(r.check(), r.actions()));

    Map<String, List<Integer>> byCheck = new LinkedHashMap<>();
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i).announced()) byCheck.computeIfAbsent(steps.get(i).incident().check(), c -> new ArrayList<>()).add(i);
    }
    int announced = 0;
    for (Map.Entry<String, List<Integer>> check : byCheck.entrySet()) {
      Map<Integer, Set<Route>> routes = new LinkedHashMap<>();
      for (int i : check.getValue()) {
        Incidents.Step s = steps.get(i);
        logChange(s);
        Set<Route> r = new LinkedHashSet<>();
        s.incident().routes().forEach(k -> r.add(new Route(k)));
        if (s.change() != Change.RESOLVED) r.addAll(routing.forSeverity(s.incident().severity(), s.incident().check()));
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
    List<AlertSummary.OpenIncident> open = steps.stream().filter(s -> s.incident().open()).map(s -> {
      Incident i = s.incident();
      return new AlertSummary.OpenIncident(i.id(), i.check(), i.subject(), i.severity(), i.openedAt(), i.flapping(),
          s.silence().map(Silences.Silence::id).orElse(null), s.silence().map(x -> x.expiresAt().toString()).orElse(null));
    }).toList();
    return new Decided(open, announced);
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

  /** The {@value #ALERTING} check: CRITICAL while Slack refuses our token or channel, ok once it takes a message. */
  private Optional<CheckResult> slackResult(Optional<String> refused) {
    if (!slackConfigured) return Optional.empty();
    if (refused.isEmpty()) return Optional.of(CheckResult.of(ALERTING, Status.OK, "Slack takes the alerts"));
    String summary = "Slack refuses the alerts (" + refused.get() + "): fix the token (SLACK_BOT_TOKEN or its secret), the "
        + "webhook URL or the channel; the alerts wait in the outbox; see 'sentinel --json'";
    return Optional.of(new CheckResult(ALERTING, Status.CRITICAL, summary, Map.of(),
        List.of(new Finding("slack", Status.CRITICAL, summary, Map.of("refused", refused.get()))), List.of()));
  }

  private Optional<String> slackRefusal(Handle h) {
    if (!slackConfigured) return Optional.empty();
    return SentinelState.read(h, SLACK_STATE).map(n -> n.path("error").asText(null));
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
