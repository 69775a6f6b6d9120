package dev.dragonfly.sentinel.check;

import dev.dragonfly.functions.IntakeKey;
import dev.dragonfly.functions.S3ObjectEvent;
import dev.dragonfly.intake.Batch;
import dev.dragonfly.sentinel.heal.Audit;
import dev.dragonfly.sentinel.heal.Redriver;
import dev.dragonfly.sentinel.heal.SentinelState;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Jdbi;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code lost_events} (runbooks/lost-events.md): an object under {@code incoming/<source>/}
 * older than the age (default 15 min) with no batch, because its S3 event never reached the
 * ingest function. Heal: register it as an {@code uploaded} batch and re-drive it, at most
 * {@link Limits#healsPerPass} per pass. Alert: WARNING.
 *
 * <p>Bounded work at any bucket size: a pass lists at most {@code pagesPerPass} pages of
 * {@code pageSize} keys (ListObjectsV2), continuing after the last key the previous pass
 * handled ({@code lost_events.position} in the sentinel state, so restarts and scheduled
 * invocations continue the sweep), and starts again from the top once the listing ends.
 *
 * <p>Matching an object to its batch: a listing has ETags, not version ids, and batches hold
 * what the event said ({@code etag:<etag>}, or {@code version:<id>} in a versioned bucket). An
 * object has its batch when a batch holds its ETag, or, for {@code version:} batches, when one
 * was created at or after the object's LastModified less {@link #CLOCK_SKEW} (an event's batch
 * cannot predate its object). Only the rest are looked up one by one (HEAD), which gives the
 * exact version the event would have named; that version is what the heal registers, so an
 * event that arrives late claims the same batch instead of loading the object twice.
 *
 * <p>The heal is one INSERT on the claim index ({@code ON CONFLICT DO NOTHING}), its audit row
 * and the re-drive hand-off, in one transaction: of two sentinels exactly one registers the
 * object, and a failed hand-off leaves nothing behind for the next pass to trip over.
 */
public final class LostEvents implements Check {
  public static final String NAME = "lost_events";
  static final String POSITION = "lost_events.position";
  static final String PREFIX = "incoming/";
  /** How far the database clock (batch created_at) may be behind S3's (LastModified). */
  public static final Duration CLOCK_SKEW = Duration.ofMinutes(1);
  /** Objects looked up one by one (HEAD), and so re-driven at most, per pass. */
  public static final int HEALS_PER_PASS_DEFAULT = 50;

  /**
   * How much one pass does.
   *
   * @param age          SENTINEL_LOST_EVENTS_AGE: how old an object with no batch must be to count as lost
   * @param pagesPerPass SENTINEL_LOST_EVENTS_PAGES: list requests per pass
   * @param pageSize     keys per list request (S3 returns at most 1000)
   * @param healsPerPass objects looked up one by one (HEAD), and so re-driven at most, per pass
   */
  public record Limits(Duration age, int pagesPerPass, int pageSize, int healsPerPass) {
    public Limits {
      if (age.isNegative() || age.isZero()) throw new IllegalArgumentException("SENTINEL_LOST_EVENTS_AGE must be more than 0: " + age);
      if (pagesPerPass < 1) throw new IllegalArgumentException("SENTINEL_LOST_EVENTS_PAGES must be 1 or more: " + pagesPerPass);
      if (pageSize < 1 || pageSize > 1000) throw new IllegalArgumentException("lost_events page size must be 1 to 1000: " + pageSize);
      if (healsPerPass < 1) throw new IllegalArgumentException("lost_events heals per pass must be 1 or more: " + healsPerPass);
    }
  }

  private final Jdbi jdbi;
  private final Optional<S3Client> s3;
  private final Optional<String> bucket;
  private final Limits limits;
  private final Redriver redriver;
  private final Audit audit;
  private final SentinelState state;

  public LostEvents(Jdbi jdbi, Optional<S3Client> s3, Optional<String> bucket, Limits limits, Redriver redriver,
                    Audit audit, SentinelState state) {
    this.jdbi = jdbi;
    this.s3 = s3;
    this.bucket = bucket;
    this.limits = limits;
    this.redriver = redriver;
    this.audit = audit;
    this.state = state;
  }

  @Override public String name() {
    return NAME;
  }

  /** What one pass saw, for the report's details. */
  private static final class Tally {
    int listRequests;
    int listed;
    int young;
    int notIntake;
    int dryRun;
    int unknownSource;
    int withBatch;
    int lookedUp;
    int gone;
    boolean wrapped;
    boolean capped;
  }

  @Override public CheckResult run(Instant now) {
    if (s3.isEmpty() || bucket.isEmpty()) {
      return CheckResult.skipped(NAME, "set INTAKE_BUCKET to the intake bucket to find objects whose S3 event was lost");
    }
    String from = state.read(POSITION).map(v -> v.path("after").asText("")).orElse("");
    Map<String, BigDecimal> thresholds = jdbi.withHandle(h -> h.createQuery(
            "SELECT name, error_threshold_percent FROM intake.source_profiles")
        .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getBigDecimal(2))).list())
        .stream().collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    Tally tally = new Tally();
    List<Finding> findings = new ArrayList<>();
    List<Action> actions = new ArrayList<>();
    String position = from;
    for (int page = 0; page < limits.pagesPerPass() && !tally.capped; page++) {
      String after = position;
      ListObjectsV2Response listing = s3.get().listObjectsV2(b -> {
        b.bucket(bucket.get()).prefix(PREFIX).maxKeys(limits.pageSize());
        if (!after.isEmpty()) b.startAfter(after);
      });
      tally.listRequests++;
      tally.listed += listing.contents().size();
      position = examine(listing.contents(), after, thresholds, now, tally, findings, actions);
      if (!tally.capped && !Boolean.TRUE.equals(listing.isTruncated())) {
        position = ""; // the end of the listing: the next page, or pass, starts from the top
        tally.wrapped = true;
      }
      // after every page, so that a pass cut short by its time limit keeps what it did
      state.write(POSITION, Map.of("after", position), now);
      if (tally.wrapped) break;
    }
    return result(tally, from, position, findings, actions);
  }

  /** Handles one page in key order; returns the last key handled (all of them unless capped). */
  private String examine(List<S3Object> page, String after, Map<String, BigDecimal> thresholds, Instant now, Tally tally,
                         List<Finding> findings, List<Action> actions) {
    List<S3Object> candidates = new ArrayList<>();
    for (S3Object o : page) {
      if (o.lastModified().isAfter(now.minus(limits.age()))) {
        tally.young++; // seen again on the next sweep
        continue;
      }
      IntakeKey key;
      try {
        key = IntakeKey.parse(o.key());
      } catch (IntakeKey.Refused e) {
        tally.notIntake++; // the function refuses and records it when its event comes; there is nothing to re-drive
        continue;
      }
      if (key.dryRun()) tally.dryRun++;
      else if (!thresholds.containsKey(key.source())) tally.unknownSource++;
      else candidates.add(o);
    }
    Map<String, List<Known>> batches = batchesOf(candidates);
    Set<String> candidateKeys = candidates.stream().map(S3Object::key).collect(Collectors.toSet());
    String handled = after;
    for (S3Object o : page) {
      boolean candidate = candidateKeys.contains(o.key());
      if (candidate && !hasBatch(o, batches.getOrDefault(o.key(), List.of()))) {
        if (tally.lookedUp == limits.healsPerPass()) {
          tally.capped = true;
          return handled;
        }
        tally.lookedUp++;
        lookUpAndHeal(o, batches.getOrDefault(o.key(), List.of()), thresholds, now, tally, findings, actions);
      } else if (candidate) {
        tally.withBatch++;
      }
      handled = o.key();
    }
    return handled;
  }

  /** A batch already recorded for a listed key: what version it holds and when it was created. */
  private record Known(String version, Instant createdAt) {}

  /** All batches of the page's keys in one query, through the claim index (source, object_key, object_version). */
  private Map<String, List<Known>> batchesOf(List<S3Object> objects) {
    if (objects.isEmpty()) return Map.of();
    List<String> keys = objects.stream().map(S3Object::key).toList();
    List<String> sources = keys.stream().map(k -> IntakeKey.parse(k).source()).toList();
    Map<String, List<Known>> byKey = new HashMap<>();
    jdbi.useHandle(h -> h.createQuery("""
            SELECT b.object_key, b.object_version, b.created_at
            FROM unnest(CAST(:sources AS text[]), CAST(:keys AS text[])) AS o (source, object_key)
            JOIN intake.batches b ON b.source = o.source AND b.object_key = o.object_key
            WHERE NOT b.dry_run AND NOT b.redelivery""")
        .bindArray("sources", String.class, sources).bindArray("keys", String.class, keys)
        .map((rs, ctx) -> Map.entry(rs.getString(1),
            new Known(rs.getString(2), rs.getObject(3, OffsetDateTime.class).toInstant())))
        .forEach(e -> byKey.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue())));
    return byKey;
  }

  /** Without a request to S3: an exact ETag match, or a {@code version:} batch no older than the object. */
  private static boolean hasBatch(S3Object o, List<Known> known) {
    String byEtag = "etag:" + unquoted(o.eTag());
    Instant earliest = o.lastModified().minus(CLOCK_SKEW);
    return known.stream().anyMatch(k -> k.version().equals(byEtag)
        || (k.version().startsWith("version:") && !k.createdAt().isBefore(earliest)));
  }

  private void lookUpAndHeal(S3Object listed, List<Known> known, Map<String, BigDecimal> thresholds, Instant now,
                             Tally tally, List<Finding> findings, List<Action> actions) {
    HeadObjectResponse head;
    try {
      head = s3.get().headObject(b -> b.bucket(bucket.get()).key(listed.key()));
    } catch (S3Exception e) {
      if (e.statusCode() != 404) throw e;
      tally.gone++; // deleted since the listing: nothing to load
      return;
    }
    if (head.lastModified().isAfter(now.minus(limits.age()))) {
      tally.young++; // replaced since the listing: the new version's event may still come
      return;
    }
    // the version exactly as the event would have named it, so that a late event claims this batch
    String version = new S3ObjectEvent(bucket.get(), listed.key(), head.contentLength(), unquoted(head.eTag()),
        head.versionId()).version();
    if (known.stream().anyMatch(k -> k.version().equals(version))) {
      tally.withBatch++;
      return;
    }
    heal(listed.key(), version, head, thresholds, now).ifPresent(outcome -> {
      findings.add(outcome.finding());
      actions.add(outcome.action());
    });
  }

  private record Outcome(Finding finding, Action action) {}

  private Optional<Outcome> heal(String key, String version, HeadObjectResponse head, Map<String, BigDecimal> thresholds,
                                 Instant now) {
    String source = IntakeKey.parse(key).source();
    String waited = StuckBatches.human(Duration.between(head.lastModified(), now));
    String before = "in S3 since " + head.lastModified() + " (" + waited + "), " + head.contentLength()
        + " bytes, no batch";
    String subject = "object " + key;
    // One transaction: if the hand-off fails (topic unreachable), no batch and no audit row
    // remain, and the next pass finds the object lost again.
    Optional<Outcome> outcome = jdbi.inTransaction(h -> {
      Optional<Batch> registered = h.createQuery("""
              INSERT INTO intake.batches (source, object_key, object_version, status, released_at,
                                          error_threshold_percent, last_error, released_by)
              VALUES (:source, :key, :version, 'uploaded', :now, :threshold, :reason, :releasedBy)
              ON CONFLICT (source, object_key, object_version) WHERE NOT dry_run AND NOT redelivery
              DO NOTHING
              RETURNING""" + " " + Batch.COLUMNS)
          .bind("source", source).bind("key", key).bind("version", version).bind("now", now)
          .bind("threshold", thresholds.get(source))
          .bind("reason", "the sentinel found this object with no batch " + waited
              + " after its upload (its S3 event was lost) and re-drove it")
          .bind("releasedBy", "sentinel " + audit.instance())
          .mapTo(Batch.class).findOne();
      if (registered.isEmpty()) return Optional.<Outcome>empty(); // another sentinel, or the late event, was first
      Batch batch = registered.get();
      redriver.cannotRedrive(batch).ifPresent(why -> {
        throw new IllegalStateException("object " + key + " has no batch and cannot be re-driven here: " + why);
      });
      Action action = new Action(subject, "redrive", before,
          "batch " + batch.id() + " uploaded, re-driven (" + redriver.describe() + ")");
      audit.record(h, now, NAME, action, version);
      redriver.redrive(batch);
      Map<String, Object> facts = new LinkedHashMap<>();
      facts.put("object_key", key);
      facts.put("source", source);
      facts.put("object_version", version);
      facts.put("last_modified", head.lastModified().toString());
      facts.put("batch_id", batch.id());
      return Optional.of(new Outcome(new Finding(subject, Status.WARNING, "object " + key + " had no batch " + waited
          + " after upload: registered as batch " + batch.id() + " and re-driven (" + redriver.describe()
          + "); see 'sentinel batch show " + batch.id() + "'", facts), action));
    });
    return outcome;
  }

  private CheckResult result(Tally t, String from, String to, List<Finding> findings, List<Action> actions) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("age_seconds", limits.age().toSeconds());
    details.put("pages_per_pass", limits.pagesPerPass());
    details.put("page_size", limits.pageSize());
    details.put("heals_per_pass", limits.healsPerPass());
    details.put("redrive_path", redriver.describe());
    details.put("position_from", from);
    details.put("position_to", to);
    details.put("wrapped", t.wrapped);
    details.put("capped", t.capped);
    details.put("list_requests", t.listRequests);
    details.put("listed", t.listed);
    details.put("with_batch", t.withBatch);
    details.put("looked_up", t.lookedUp);
    details.put("young", t.young);
    details.put("not_intake_keys", t.notIntake);
    details.put("dry_runs", t.dryRun);
    details.put("unknown_sources", t.unknownSource);
    details.put("gone", t.gone);
    String swept = t.listed + " object(s) listed " + (from.isEmpty() ? "from the top of " + PREFIX : "after " + from)
        + (t.wrapped ? " to the end; the next pass starts from the top"
            : (t.capped ? ", stopped at " + limits.healsPerPass() + " look-ups" : "") + "; the next pass continues after " + to);
    if (findings.isEmpty()) {
      return CheckResult.of(NAME, Status.OK, "no lost events: " + swept).withDetails(details);
    }
    String summary = findings.size() + " object(s) had no batch and were re-driven: "
        + findings.stream().map(Finding::subject).collect(Collectors.joining(", ")) + "; " + swept
        + "; see 'sentinel audit'";
    return new CheckResult(NAME, CheckResult.worstOf(findings), summary, details, findings, actions);
  }

  /** A listing or HEAD quotes the ETag; an S3 event does not, and batches hold the event's form. */
  private static String unquoted(String etag) {
    if (etag == null) return "";
    return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"") ? etag.substring(1, etag.length() - 1) : etag;
  }
}
