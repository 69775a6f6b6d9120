package dev.dragonfly.sentinel.alert;

import dev.dragonfly.sentinel.SentinelConfig.AlertSettings;
import dev.dragonfly.sentinel.check.Status;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Where an incident of a given severity goes: CRITICAL to the alerts channel (or webhook) and
 * the alerts SNS topic; WARNING to the warnings channel (or webhook) when one is configured,
 * else only to the log. Slack's own failures ({@code alerting}) go to SNS alone: Slack is what
 * broke.
 */
final class Routing {
  private final Set<Route> critical = new LinkedHashSet<>();
  private final Set<Route> warning = new LinkedHashSet<>();

  Routing(AlertSettings s) {
    boolean bot = s.slackToken().isPresent() || s.slackTokenSecretArn().isPresent();
    if (bot) {
      s.alertsChannel().ifPresent(c -> critical.add(Route.channel(c)));
      s.warningsChannel().ifPresent(c -> warning.add(Route.channel(c)));
    } else {
      s.webhookUrl().ifPresent(u -> critical.add(Route.WEBHOOK_ALERTS));
      s.warningsWebhookUrl().ifPresent(u -> warning.add(Route.WEBHOOK_WARNINGS));
    }
    s.alertsTopicArn().ifPresent(t -> critical.add(Route.SNS));
  }

  Set<Route> forSeverity(Status severity, String check) {
    Set<Route> routes = new LinkedHashSet<>(severity == Status.CRITICAL ? critical : warning);
    if (check.equals(Alerts.ALERTING)) routes.removeIf(Route::isSlack);
    return routes;
  }
}
