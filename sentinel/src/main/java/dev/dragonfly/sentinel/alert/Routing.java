package dev.dragonfly.sentinel.alert;

import dev.dragonfly.sentinel.check.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/**
 * Where an incident of a given severity goes, for the deployment as a whole: CRITICAL to the
 * alerts channel (or webhook) and the alerts SNS topic, WARNING to the warnings channel (or
 * webhook) when one is configured, else only to the log. Slack's own failures ({@code alerting})
 * go to SNS alone: Slack is what broke.
 *
 * <p>The routes are those of the sentinels that can deliver, registered in
 * {@code intake.alert_routes} by each of them every pass, not this process's settings: a pass
 * run by hand from a shell without Slack settings routes like the daemon. An instance not seen
 * for {@link #LIVE_FOR} no longer counts, so a retired or reconfigured one stops collecting
 * alerts nobody sends.
 */
final class Routing {
  static final Duration LIVE_FOR = Duration.ofHours(1);

  /** The deployment's routes by severity; {@code known} is false while no sentinel with a destination was seen. */
  record Deployment(boolean known, Map<Status, Set<Route>> routes) {
    Set<Route> forSeverity(Status severity, String check) {
      Set<Route> r = new LinkedHashSet<>(routes.getOrDefault(severity == Status.CRITICAL ? Status.CRITICAL : Status.WARNING,
          Set.of()));
      if (check.equals(Alerts.ALERTING)) r.removeIf(Route::isSlack);
      return r;
    }
  }

  private final String instance;
  private final Map<Status, Set<Route>> own;

  /** {@code own}: the destinations this sentinel can deliver to, by severity (empty: none). */
  Routing(String instance, Map<Status, Set<Route>> own) {
    this.instance = instance;
    this.own = Map.copyOf(own);
  }

  /** Every destination this sentinel delivers to. */
  Set<Route> destinations() {
    Set<Route> all = new LinkedHashSet<>();
    own.values().forEach(all::addAll);
    return all;
  }

  /**
   * Registers this sentinel's destinations (if it has any) and reads the deployment's. In the
   * alerts transaction: two sentinels deciding see each other's registration in turn.
   */
  Deployment deployment(Handle h, Instant now) {
    if (!own.isEmpty()) {
      h.createUpdate("DELETE FROM intake.alert_routes WHERE instance = :instance").bind("instance", instance).execute();
      var batch = h.prepareBatch("""
          INSERT INTO intake.alert_routes (instance, severity, route, seen_at) VALUES (:instance, :severity, :route, :now)""");
      own.forEach((severity, routes) -> routes.forEach(r -> batch.bind("instance", instance)
          .bind("severity", severity.label()).bind("route", r.key()).bind("now", now).add()));
      batch.execute();
    }
    List<Map.Entry<String, String>> rows = h.createQuery("""
            SELECT DISTINCT severity, route FROM intake.alert_routes WHERE seen_at >= :since ORDER BY severity, route""")
        .bind("since", now.minus(LIVE_FOR))
        .map((rs, ctx) -> Map.entry(rs.getString("severity"), rs.getString("route"))).list();
    Map<Status, Set<Route>> routes = new EnumMap<>(Status.class);
    rows.forEach(e -> routes.computeIfAbsent(Incident.severity(e.getKey()), s -> new LinkedHashSet<>()).add(new Route(e.getValue())));
    return new Deployment(!rows.isEmpty(), routes);
  }
}
