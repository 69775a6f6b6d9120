package dev.dragonfly.sentinel.alert;

import static com.slack.api.model.block.Blocks.asBlocks;
import static com.slack.api.model.block.Blocks.context;
import static com.slack.api.model.block.Blocks.header;
import static com.slack.api.model.block.Blocks.section;
import static com.slack.api.model.block.composition.BlockCompositions.markdownText;
import static com.slack.api.model.block.composition.BlockCompositions.plainText;

import com.google.gson.Gson;
import com.slack.api.model.block.LayoutBlock;
import com.slack.api.model.block.composition.TextObject;
import com.slack.api.util.json.GsonFactory;
import dev.dragonfly.logging.Redactor;
import dev.dragonfly.sentinel.check.Action;
import dev.dragonfly.sentinel.check.Status;
import java.net.URI;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Turns incidents into what people read: Slack Block Kit (a header with severity and check, the
 * subjects and what the sentinel said of them, fields with the facts, what the sentinel already
 * did, the command to run next in a code block, the runbook section as a link, a context line
 * with the sentinel's instance and time) with a plain-text fallback, thread replies, and the SNS
 * subject and message. Every text passes {@link Redactor} here, the one place an alert is
 * written.
 */
final class MessageRenderer {
  /** An incident in a message, and what this pass announces about it ({@link Change#NONE}: shown, unchanged). */
  record Entry(Incident incident, Change change) {}

  /** What one outbox row sends. */
  record Rendered(String text, String blocks, String reply, String snsSubject) {}

  private static final Gson GSON = GsonFactory.createSnakeCase();
  private static final Pattern QUOTED_COMMAND = Pattern.compile("'(sentinel [^']+)'");
  private static final int LISTED_SUBJECTS = 10;
  private static final int FACT_FIELDS = 10;
  private static final Map<String, String> RUNBOOKS = Map.of(
      "stuck_batches", "stuck-batches.md", "error_spike", "error-spike.md", "schema_cache", "schema-cache.md",
      "lost_events", "lost-events.md", "database", "database.md", "self", "sentinel-self.md",
      Alerts.ALERTING, "alerts.md");

  private final String instance;
  private final Optional<URI> runbookBase;

  MessageRenderer(String instance, Optional<URI> runbookBase) {
    this.instance = instance;
    this.runbookBase = runbookBase;
  }

  /**
   * A message about {@code entries} of one check: a Slack post (or its update), a webhook message,
   * an SNS message. {@code did} is what the sentinel healed this pass.
   */
  Rendered message(String check, List<Entry> entries, List<Action> did, Instant now) {
    List<Entry> open = entries.stream().filter(e -> e.incident().open()).toList();
    Status worst = Status.worst(open.stream().map(e -> e.incident().severity()).toList());
    String label = open.isEmpty() ? "RESOLVED" : worst.label().toUpperCase(Locale.ROOT);
    String what = headline(entries);
    List<String> commands = commands(check, open.isEmpty() ? entries : open);
    String runbook = runbook(check);
    Set<String> subjects = entries.stream().map(e -> e.incident().subject()).collect(Collectors.toCollection(LinkedHashSet::new));
    List<String> didLines = did.stream().filter(a -> subjects.contains(a.subject()))
        .map(a -> a.action() + " " + a.subject() + ": " + a.stateBefore() + " → " + a.stateAfter()).toList();

    List<LayoutBlock> blocks = new ArrayList<>();
    String headerText = clip(emoji(open.isEmpty() ? null : worst) + " " + label + " · " + check + " · " + what, 150);
    blocks.add(header(h -> h.text(plainText(clean(headerText), true))));
    blocks.add(section(s -> s.text(markdownText(clip(clean(subjectLines(entries)), 3000)))));
    List<TextObject> fields = fields(entries);
    if (!fields.isEmpty()) blocks.add(section(s -> s.fields(fields)));
    if (!didLines.isEmpty()) {
      blocks.add(section(s -> s.text(markdownText(clip(clean("*What the sentinel did*\n" + String.join("\n", didLines)), 3000)))));
    }
    if (!open.isEmpty() && !commands.isEmpty()) {
      blocks.add(section(s -> s.text(markdownText(clip(clean("*Run next*\n```" + String.join("\n", commands) + "```"), 3000)))));
    }
    blocks.add(section(s -> s.text(markdownText(clean("*Runbook* " + runbookLink(runbook))))));
    String contextLine = clean("sentinel " + instance + " · " + now.truncatedTo(ChronoUnit.SECONDS) + " · incident "
        + entries.stream().map(e -> "#" + e.incident().id()).collect(Collectors.joining(", ")));
    blocks.add(context(c -> c.elements(List.of(markdownText(contextLine)))));

    StringBuilder text = new StringBuilder(label + " " + check + ": " + what);
    for (Entry e : entries.subList(0, Math.min(entries.size(), LISTED_SUBJECTS))) text.append("\n- ").append(line(e));
    if (entries.size() > LISTED_SUBJECTS) text.append("\n- and ").append(entries.size() - LISTED_SUBJECTS).append(" more");
    didLines.forEach(d -> text.append("\nDid: ").append(d));
    if (!open.isEmpty()) commands.forEach(c -> text.append("\nRun: ").append(c));
    text.append("\nRunbook: ").append(runbookUrl(runbook));
    text.append("\nSentinel ").append(instance).append(" at ").append(now.truncatedTo(ChronoUnit.SECONDS));
    String subject = clip(ascii("[" + label + "] " + check + ": " + what), 100);
    return new Rendered(clean(text.toString()), clean(GSON.toJson(blocks)), null, clean(subject));
  }

  /** A short reply in the thread of the message these entries are in: what changed. */
  String reply(List<Entry> changed) {
    return clean(changed.stream().map(e -> switch (e.change()) {
      case RESOLVED -> "Resolved: " + e.incident().subject() + " has been ok for " + e.incident().okPasses() + " passes.";
      case WORSE -> "Worse, now " + e.incident().severity().label().toUpperCase(Locale.ROOT) + ": " + e.incident().summary();
      case BETTER -> "Better, now " + e.incident().severity().label().toUpperCase(Locale.ROOT) + ": " + e.incident().summary();
      case REMINDER -> "Still open since " + e.incident().openedAt().truncatedTo(ChronoUnit.SECONDS) + ": " + e.incident().summary();
      case FLAPPING -> "Came back after it resolved (" + e.incident().reopened() + " time(s)): held as one flapping incident "
          + "until it stays ok. " + e.incident().summary();
      case OPENED -> "Opened: " + e.incident().summary();
      case NONE -> "";
    }).filter(s -> !s.isEmpty()).collect(Collectors.joining("\n")));
  }

  private static String headline(List<Entry> entries) {
    if (entries.size() == 1) {
      Entry e = entries.get(0);
      return e.incident().subject() + (e.change() == Change.NONE ? "" : " " + e.change().label());
    }
    long open = entries.stream().filter(e -> e.incident().open()).count();
    return entries.size() + " subjects" + (open == entries.size() ? "" : ", " + open + " open");
  }

  private static String subjectLines(List<Entry> entries) {
    StringBuilder s = new StringBuilder();
    for (Entry e : entries.subList(0, Math.min(entries.size(), LISTED_SUBJECTS))) {
      if (s.length() > 0) s.append('\n');
      s.append("• *").append(e.incident().subject()).append("* ").append(line(e));
    }
    if (entries.size() > LISTED_SUBJECTS) s.append("\n• and ").append(entries.size() - LISTED_SUBJECTS).append(" more");
    return s.toString();
  }

  private static String line(Entry e) {
    Incident i = e.incident();
    String state = i.open() ? i.severity().label() + (i.flapping() ? ", flapping" : "") : "resolved";
    String change = e.change() == Change.NONE ? "" : e.change().label() + ", ";
    return "(" + change + state + ") " + i.summary();
  }

  private static List<TextObject> fields(List<Entry> entries) {
    List<TextObject> fields = new ArrayList<>();
    if (entries.size() == 1) {
      Incident i = entries.get(0).incident();
      fields.add(field("Subject", i.subject()));
      fields.add(field("Opened", i.openedAt().truncatedTo(ChronoUnit.SECONDS).toString()));
      for (Map.Entry<String, Object> f : i.facts().entrySet()) {
        if (fields.size() == FACT_FIELDS) break;
        fields.add(field(f.getKey(), value(f.getValue())));
      }
    } else {
      fields.add(field("Subjects", String.valueOf(entries.size())));
      Map<Boolean, Long> open = entries.stream().collect(Collectors.partitioningBy(e -> e.incident().open(), Collectors.counting()));
      fields.add(field("Open", String.valueOf(open.get(true))));
      fields.add(field("Resolved", String.valueOf(open.get(false))));
      fields.add(field("Critical", String.valueOf(entries.stream()
          .filter(e -> e.incident().open() && e.incident().severity() == Status.CRITICAL).count())));
    }
    return fields;
  }

  private static TextObject field(String name, String value) {
    return markdownText(clip(clean("*" + name + "*\n" + value), 2000));
  }

  /** A fact as one line: lists of records (top error codes, affected batches) as their values, comma-separated. */
  private static String value(Object v) {
    if (v instanceof Collection<?> c) return c.stream().map(MessageRenderer::value).collect(Collectors.joining(", "));
    if (v instanceof Map<?, ?> m) {
      return m.entrySet().stream().filter(e -> !String.valueOf(e.getKey()).equals("sample_message"))
          .map(e -> value(e.getValue())).collect(Collectors.joining(" "));
    }
    return String.valueOf(v);
  }

  /**
   * The commands the findings name ({@code run 'sentinel …'}), else the check's usual next step.
   * A finding's command is the last one in its summary: a check writes its own command after
   * anything quoted from data (a sample row-error message, a last error), which may hold text
   * a vendor chose, {@code 'sentinel …'} included.
   */
  static List<String> commands(String check, List<Entry> entries) {
    Set<String> commands = new LinkedHashSet<>();
    for (Entry e : entries) {
      Matcher m = QUOTED_COMMAND.matcher(e.incident().summary());
      String last = null;
      while (m.find()) last = m.group(1);
      if (last != null) commands.add(last);
      if (commands.size() == 3) break;
    }
    if (commands.isEmpty()) commands.add(switch (check) {
      case "stuck_batches" -> "sentinel batch list --limit 20";
      case "schema_cache" -> "sentinel pgrst-reload";
      case "lost_events" -> "sentinel audit --since 1h";
      case Alerts.ALERTING -> "sentinel doctor";
      default -> "sentinel --json";
    });
    return List.copyOf(commands);
  }

  private String runbook(String check) {
    return RUNBOOKS.getOrDefault(check, "README.md") + "#what-to-do";
  }

  private String runbookUrl(String runbook) {
    return runbookBase.map(b -> b.toString().replaceAll("/+$", "") + "/" + runbook).orElse("runbooks/" + runbook);
  }

  private String runbookLink(String runbook) {
    return runbookBase.map(b -> "<" + runbookUrl(runbook) + "|runbooks/" + runbook + ">").orElse("`runbooks/" + runbook + "`");
  }

  private static String emoji(Status worst) {
    if (worst == null) return ":white_check_mark:";
    return worst == Status.CRITICAL ? ":red_circle:" : ":large_orange_circle:";
  }

  /** The one redaction point of alerts: SSNs and card numbers never leave, whatever a summary held. */
  static String clean(String text) {
    return Redactor.redact(text);
  }

  private static String clip(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }

  /** SNS subjects are ASCII, one line. */
  private static String ascii(String s) {
    return s.replaceAll("[^\\x20-\\x7E]", "-");
  }
}
