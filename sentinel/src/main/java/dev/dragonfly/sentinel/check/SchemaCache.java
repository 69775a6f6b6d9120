package dev.dragonfly.sentinel.check;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dragonfly.sentinel.heal.Audit;
import dev.dragonfly.sentinel.heal.SentinelState;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * {@code schema_cache} (runbooks/schema-cache.md): PostgREST's schema cache against the
 * catalog. Stale: a relation, column or function of the exposed schemas that PostgREST does not
 * know (its clients get {@code PGRST205}, {@code PGRST204}, {@code PGRST202}). No cache at all:
 * 503 {@code PGRST002} or a failing {@code /ready}. Heal: {@code NOTIFY pgrst, 'reload schema'}
 * on a direct connection to the primary, at most once per {@code reloadMinInterval} (default
 * 5 min) for the same symptom, then probing with backoff until PostgREST answers or
 * {@code reloadDeadline} (default 20 s) passes. WARNING when the reload fixed it, CRITICAL when
 * not, and CRITICAL naming the database side when the cache cannot be built.
 *
 * <p>How it compares: one OpenAPI root per schema lists every relation, column and function
 * the cache holds, so a healthy pass costs one request per schema. The root only lists what the
 * calling role may see, so a relation missing from it is confirmed by reading it
 * ({@code GET /<relation>?limit=0}): only {@code PGRST205} counts as stale, a 401 or 403 means
 * PostgREST knows it. Functions are never called to confirm (a call runs them); the catalog side
 * counts only those PUBLIC may execute, as the root lists those for any role. Without an
 * OpenAPI root (openapi-mode disabled) every relation is read instead, and columns and
 * functions are not compared. Stale foreign keys ({@code PGRST200}) are not probed.
 *
 * <p>The reload's rate limit lives in {@code intake.sentinel_state}, decided under an advisory
 * lock in the transaction that writes the audit row and sends the NOTIFY (delivered at commit):
 * two sentinels, or a restarted one, send one reload for one symptom.
 */
public final class SchemaCache implements Check {
  public static final String NAME = "schema_cache";
  /**
   * Newest relations and functions compared per pass. A stale cache shows first on what a
   * migration just created, and oid order approximates creation order, so the newest catch it
   * while a catalog of thousands costs a bounded number of reads within the pass's time limit.
   */
  static final int NEWEST_PER_PASS = 50;
  public static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
  /** PostgREST ignores any other payload on its channel, a bare 'reload' included. */
  private static final String RELOAD_PAYLOAD = "reload schema";
  private static final String SUBJECT = "PostgREST schema cache";
  private static final String NEXT = "run 'sentinel pgrst-reload'; see runbooks/schema-cache.md";

  /**
   * @param url          POSTGREST_URL; the check is skipped without it
   * @param schemas      PostgREST's db-schemas, its default first
   * @param firstBackoff the first wait between probes after a reload; it doubles up to 2 s
   */
  public record Settings(Optional<URI> url, Optional<URI> adminUrl, List<String> schemas, Duration reloadMinInterval,
                         Duration reloadDeadline, Duration firstBackoff) {
    public Settings {
      schemas = List.copyOf(schemas);
      if (schemas.isEmpty()) throw new IllegalArgumentException("POSTGREST_SCHEMAS is empty");
      if (reloadDeadline.isNegative()) throw new IllegalArgumentException("POSTGREST_RELOAD_DEADLINE < 0: " + reloadDeadline);
    }
  }

  private final Jdbi catalog;
  private final Jdbi primary;
  private final Settings settings;
  private final Audit audit;
  private final Optional<PostgrestApi> postgrest;

  /**
   * @param catalog the database PostgREST serves, for its catalog
   * @param primary the same database on a direct connection to the primary (NOTIFY does not
   *                cross every pooler): the reload, its audit row and its rate limit
   */
  public SchemaCache(Jdbi catalog, Jdbi primary, Settings settings, Audit audit) {
    this.catalog = catalog;
    this.primary = primary;
    this.settings = settings;
    this.audit = audit;
    this.postgrest = settings.url().map(u -> new PostgrestApi(u, settings.adminUrl(), settings.schemas().get(0)));
  }

  @Override public String name() {
    return NAME;
  }

  /** One missing thing: {@code relation public.orders} and what was compared. */
  record Missing(String subject, String compared) {}

  /** What PostgREST showed: no cache at all (why), or what it lacks (empty: healthy). */
  record Seen(Optional<String> noCache, List<Missing> missing, int relations, int functions) {
    boolean healthy() {
      return noCache.isEmpty() && missing.isEmpty();
    }

    String symptom() {
      return noCache.isPresent() ? "no_cache" : "stale";
    }

    List<String> subjects() {
      return noCache.isPresent() ? List.of(SUBJECT) : missing.stream().map(Missing::subject).toList();
    }
  }

  /** The last reload for a symptom, as kept in {@code schema_cache.reload.<symptom>}. */
  record LastReload(Instant at, String instance, List<String> subjects) {
    static LastReload of(JsonNode v) {
      List<String> subjects = new ArrayList<>();
      v.path("subjects").forEach(s -> subjects.add(s.asText()));
      return new LastReload(Instant.parse(v.path("at").asText()), v.path("instance").asText(), subjects);
    }
  }

  @Override public CheckResult run(Instant now) {
    if (postgrest.isEmpty()) return CheckResult.skipped(NAME, "set POSTGREST_URL to PostgREST's address to compare its schema cache");
    ExposedCatalog cat = ExposedCatalog.read(catalog, settings.schemas(), NEWEST_PER_PASS);
    Seen seen = look(cat);
    if (seen.healthy()) {
      return CheckResult.of(NAME, Status.OK, "PostgREST serves the newest " + seen.relations() + " relation(s) and "
          + seen.functions() + " function(s) of " + String.join(", ", settings.schemas())).withDetails(details(seen));
    }
    Optional<LastReload> skipped = reloadUnlessRecent(now, seen);
    boolean another = skipped.isPresent() && Duration.between(skipped.get().at(), now).compareTo(settings.reloadDeadline()) <= 0;
    // wait out our own reload, or one another sentinel has only just sent
    Seen after = skipped.isEmpty() || another ? probeUntilDeadline(cat) : seen;
    String by = skipped.map(l -> "a schema reload by " + l.instance() + " at " + l.at()).orElse("a schema reload");
    List<Finding> findings = seen.noCache().isPresent()
        ? List.of(noCacheFinding(seen, after, by, skipped))
        : staleFindings(seen, after, by, skipped);
    List<Action> actions = skipped.isPresent() ? List.of() : List.of(action(seen));
    String summary = findings.stream().map(Finding::summary).collect(Collectors.joining("; "));
    return new CheckResult(NAME, CheckResult.worstOf(findings), summary, details(after), findings, actions);
  }

  /**
   * The operator's reload ({@code sentinel pgrst-reload}): sends it whatever the rate limit,
   * audited, then probes until PostgREST serves everything compared or the deadline passes.
   */
  public CheckResult reloadNow(Instant now) {
    if (postgrest.isEmpty()) throw new IllegalStateException("POSTGREST_URL is not set");
    ExposedCatalog cat = ExposedCatalog.read(catalog, settings.schemas(), NEWEST_PER_PASS);
    primary.useTransaction(h -> {
      lock(h, "stale");
      notifyReload(h, now, new Action(SUBJECT, "reload_schema", "operator request", "reload requested"), "sentinel pgrst-reload");
    });
    Seen after = probeUntilDeadline(cat);
    List<Action> actions = List.of(new Action(SUBJECT, "reload_schema", "operator request", "reload requested"));
    if (after.healthy()) {
      return new CheckResult(NAME, Status.OK, "schema reload sent; PostgREST serves the newest " + after.relations()
          + " relation(s) and " + after.functions() + " function(s)", details(after), List.of(), actions);
    }
    String what = after.noCache().map(r -> "PostgREST still has no schema cache: " + r)
        .orElseGet(() -> "still missing from PostgREST's schema cache: " + String.join(", ", after.subjects()));
    return new CheckResult(NAME, Status.CRITICAL, "schema reload sent; " + human(settings.reloadDeadline())
        + " later " + what + "; see runbooks/schema-cache.md", details(after), List.of(), actions);
  }

  /** Sends the reload unless one went out for the same symptom within the min interval; returns that one. */
  private Optional<LastReload> reloadUnlessRecent(Instant now, Seen seen) {
    return primary.inTransaction(h -> {
      String state = lock(h, seen.symptom());
      Optional<LastReload> last = SentinelState.read(h, state).map(LastReload::of);
      boolean sameSymptom = last.isPresent() && last.get().subjects().containsAll(seen.subjects());
      if (sameSymptom && now.isBefore(last.get().at().plus(settings.reloadMinInterval()))) return last;
      SentinelState.write(h, state, new LastReload(now, audit.instance(), seen.subjects()), now);
      notifyReload(h, now, action(seen), seen.symptom());
      return Optional.empty();
    });
  }

  /** Serializes the decision of every sentinel on one symptom until the transaction ends. */
  private static String lock(Handle h, String symptom) {
    String state = "schema_cache.reload." + symptom;
    h.createQuery("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))::text").bind("name", state)
        .mapTo(String.class).one();
    return state;
  }

  /** Audited in the NOTIFY's transaction: the reload goes out at commit, with its audit row or not at all. */
  private void notifyReload(Handle h, Instant now, Action action, String detail) {
    audit.record(h, now, NAME, action, detail);
    h.createQuery("SELECT pg_notify('pgrst', :payload)::text").bind("payload", RELOAD_PAYLOAD).mapTo(String.class).one();
  }

  private static Action action(Seen seen) {
    String before = seen.noCache().map(r -> "no schema cache: " + r)
        .orElseGet(() -> "missing: " + String.join(", ", seen.subjects()));
    return new Action(SUBJECT, "reload_schema", before, "reload requested (NOTIFY pgrst, '" + RELOAD_PAYLOAD + "')");
  }

  /** Looks again, waiting 200 ms, 400 ms, … up to 2 s between looks, until healthy or the deadline. */
  private Seen probeUntilDeadline(ExposedCatalog cat) {
    long deadline = System.nanoTime() + settings.reloadDeadline().toNanos();
    Duration wait = settings.firstBackoff();
    while (true) {
      Seen seen = look(cat);
      long left = deadline - System.nanoTime();
      if (seen.healthy() || left <= 0) return seen;
      try {
        Thread.sleep(Math.max(1, Math.min(wait.toMillis(), left / 1_000_000)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return seen;
      }
      wait = wait.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : wait.multipliedBy(2);
    }
  }

  private Seen look(ExposedCatalog cat) {
    PostgrestApi api = postgrest.orElseThrow();
    try {
      api.requireReady();
      List<Missing> missing = new ArrayList<>();
      for (String schema : settings.schemas()) missing.addAll(compare(api, schema, cat));
      return new Seen(Optional.empty(), missing, cat.relations().size(), cat.functions().size());
    } catch (PostgrestApi.NoSchemaCacheException e) {
      return new Seen(Optional.of(e.getMessage()), List.of(), cat.relations().size(), cat.functions().size());
    }
  }

  private static List<Missing> compare(PostgrestApi api, String schema, ExposedCatalog cat) {
    Optional<PostgrestApi.OpenApi> root = api.openApi(schema);
    List<Missing> missing = new ArrayList<>();
    for (ExposedCatalog.Relation rel : cat.relations()) {
      if (!rel.schema().equals(schema)) continue;
      String qualified = schema + "." + rel.name();
      if (root.isPresent() && root.get().relations().contains(rel.name())) {
        for (String column : rel.columns()) {
          Optional<java.util.Set<String>> listed = Optional.ofNullable(root.get().columns().get(rel.name()));
          if (listed.isPresent() && !listed.get().contains(column)) {
            missing.add(new Missing("column " + qualified + "." + column,
                "in pg_attribute; not among the relation's columns in PostgREST's OpenAPI root (writes naming it get PGRST204)"));
          }
        }
        continue;
      }
      PostgrestApi.Answer answer = api.read(schema, rel.name());
      if (answer.code().filter("PGRST205"::equals).isPresent()) {
        missing.add(new Missing("relation " + qualified, "in pg_class (" + rel.kind() + "); GET /" + rel.name()
            + "?limit=0 answered " + answer.status() + " PGRST205"));
      }
    }
    if (root.isEmpty()) return missing;
    for (ExposedCatalog.Function fn : cat.functions()) {
      if (fn.schema().equals(schema) && !root.get().functions().contains(fn.name())) {
        missing.add(new Missing("function " + schema + "." + fn.name(),
            "in pg_proc; no /rpc/" + fn.name() + " in PostgREST's OpenAPI root (calls get PGRST202)"));
      }
    }
    return missing;
  }

  private List<Finding> staleFindings(Seen before, Seen after, String by, Optional<LastReload> skipped) {
    List<String> still = after.subjects();
    List<Finding> findings = new ArrayList<>();
    for (Missing m : before.missing()) {
      Map<String, Object> facts = Map.of("compared", m.compared(), "fixed", !still.contains(m.subject()));
      if (!still.contains(m.subject())) {
        findings.add(new Finding(m.subject(), Status.WARNING, m.subject() + " was missing from PostgREST's schema cache; "
            + by + " fixed it", facts));
      } else {
        findings.add(new Finding(m.subject(), Status.CRITICAL, m.subject() + " is missing from PostgREST's schema cache "
            + after(by, skipped) + "; " + NEXT, facts));
      }
    }
    return findings;
  }

  private Finding noCacheFinding(Seen before, Seen after, String by, Optional<LastReload> skipped) {
    Map<String, Object> facts = Map.of("postgrest", postgrest.orElseThrow().address(), "answer", before.noCache().get());
    if (after.healthy()) {
      return new Finding(SUBJECT, Status.WARNING, "PostgREST had no schema cache (" + before.noCache().get() + "); "
          + by + " fixed it", facts);
    }
    return new Finding(SUBJECT, Status.CRITICAL, "PostgREST cannot build its schema cache ("
        + after.noCache().orElse(before.noCache().get()) + ") " + after(by, skipped)
        + ": a database-side problem. Look at: PostgREST's log; whether the database accepts its connections"
        + " (the database check, max_connections); whether its role can log in; whether every schema in "
        + String.join(", ", settings.schemas()) + " exists and its role has USAGE on it. Then " + NEXT, facts);
  }

  private String after(String by, Optional<LastReload> skipped) {
    if (skipped.isEmpty()) return human(settings.reloadDeadline()) + " after " + by;
    return "after " + by + " (the next is due from " + skipped.get().at().plus(settings.reloadMinInterval()) + ")";
  }

  private static String human(Duration d) {
    return d.toMillis() < 1000 ? d.toMillis() + " ms" : StuckBatches.human(d);
  }

  private Map<String, Object> details(Seen seen) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("postgrest", postgrest.orElseThrow().address());
    d.put("schemas", settings.schemas());
    d.put("relations_compared", seen.relations());
    d.put("functions_compared", seen.functions());
    d.put("reload_min_interval_seconds", settings.reloadMinInterval().toSeconds());
    d.put("reload_deadline_ms", settings.reloadDeadline().toMillis());
    return d;
  }
}
