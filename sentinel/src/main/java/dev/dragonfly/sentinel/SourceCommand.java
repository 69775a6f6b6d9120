package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.SourceProfile;
import dev.dragonfly.intake.SourceProfiles;
import dev.dragonfly.intake.judgments.JudgmentColumn;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Lists and adds source profiles; see runbooks/adding-a-vendor-source.md. */
@Command(name = "source", mixinStandardHelpOptions = true, description = "List and add vendor source profiles.",
    subcommands = {SourceCommand.ListSources.class, SourceCommand.AddSource.class})
final class SourceCommand implements Runnable {
  @ParentCommand SentinelCli root;
  @Spec CommandSpec spec;

  @Override public void run() { // the hint then names 'sentinel source --help'
    throw new CommandLine.ParameterException(spec.commandLine(), "name a source command: list or add");
  }

  Database database() {
    return root.connector().migratedDatabase();
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List source profiles.")
  static final class ListSources implements Callable<Integer> {
    @ParentCommand SourceCommand parent;
    @Spec CommandSpec spec;

    @Override public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      SourceProfiles profiles = new SourceProfiles(parent.database().jdbi());
      for (String name : profiles.names()) {
        SourceProfile p = profiles.require(name);
        out.printf("%-20s dataset=%s threshold=%s%% aliases=%s date_formats=%s max_file_bytes=%d max_rows=%d%n",
            p.name(), p.dataset(), p.errorThresholdPercent().toPlainString(), new java.util.TreeMap<>(p.headerAliases()),
            p.dateFormats(), p.maxFileBytes(), p.maxRows());
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Add a source profile: how one vendor's headers map onto the judgments columns.")
  static final class AddSource implements Callable<Integer> {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
    private static final List<String> COLUMNS =
        java.util.Arrays.stream(JudgmentColumn.values()).map(JudgmentColumn::columnName).toList();

    @ParentCommand SourceCommand parent;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "Lower-case letters, digits, '_' and '-'; the folder vendors upload to.")
    String name;

    @Option(names = "--alias", paramLabel = "HEADER=COLUMN", description = "A vendor header and the column it means (repeatable).")
    Map<String, String> aliases = new LinkedHashMap<>();

    @Option(names = "--date-format", paramLabel = "PATTERN", description = "An extra java.time date pattern such as MM/dd/yyyy (repeatable).")
    List<String> dateFormats = List.of();

    @Option(names = "--threshold", paramLabel = "PERCENT", converter = IngestCommand.PercentConverter.class,
        description = "Default error threshold in percent (default 10).")
    BigDecimal threshold = BigDecimal.TEN;

    @Option(names = "--max-file-bytes", paramLabel = "N", description = "Largest accepted file (default 10 GiB).")
    long maxFileBytes = 10L * 1024 * 1024 * 1024;

    @Option(names = "--max-rows", paramLabel = "N", description = "Most data rows accepted (default 100,000,000).")
    long maxRows = 100_000_000L;

    @Override public Integer call() {
      if (!NAME.matcher(name).matches()) throw new UserMistake("source name must be lower-case letters, digits, '_' or '-': " + name);
      Map<String, String> normalised = new LinkedHashMap<>();
      aliases.forEach((header, column) -> {
        String c = column.strip().toLowerCase(Locale.ROOT);
        if (!COLUMNS.contains(c)) throw new UserMistake("--alias " + header + "=" + column + ": unknown column; columns are " + COLUMNS);
        normalised.put(header.strip().toLowerCase(Locale.ROOT), c);
      });
      for (String f : dateFormats) {
        try {
          java.time.format.DateTimeFormatter.ofPattern(f);
        } catch (IllegalArgumentException e) {
          throw new UserMistake("--date-format " + f + ": not a java.time pattern");
        }
      }
      if (threshold.signum() < 0 || threshold.compareTo(BigDecimal.valueOf(100)) > 0)
        throw new UserMistake("--threshold must be between 0 and 100: " + threshold.toPlainString());
      if (maxFileBytes <= 0 || maxRows <= 0) throw new UserMistake("--max-file-bytes and --max-rows must be positive");
      Database db = parent.database();
      if (new SourceProfiles(db.jdbi()).find(name).isPresent()) throw new UserMistake("source " + name + " already exists");
      db.jdbi().useHandle(h -> h.createUpdate("""
              INSERT INTO intake.source_profiles
                  (name, dataset, header_aliases, date_formats, error_threshold_percent, max_file_bytes, max_rows)
              VALUES (:name, 'judgments', CAST(:aliases AS jsonb), :formats, :threshold, :maxFileBytes, :maxRows)""")
          .bind("name", name).bind("aliases", dev.dragonfly.intake.Json.write(normalised))
          .bind("formats", dateFormats.toArray(String[]::new)).bind("threshold", threshold)
          .bind("maxFileBytes", maxFileBytes).bind("maxRows", maxRows).execute());
      spec.commandLine().getOut().println("source " + name + " added; vendors upload to incoming/" + name + "/");
      return ExitCodes.OK;
    }
  }
}
