package dev.dragonfly.sentinel;

import dev.dragonfly.intake.IngestOptions;
import dev.dragonfly.intake.IntakePipeline;
import dev.dragonfly.intake.IntakeResult;
import dev.dragonfly.intake.Json;
import dev.dragonfly.intake.ObjectRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Runs one local file through the same pipeline the Lambda uses. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = "Validate one CSV file and load its valid rows; prints a one-line summary.",
    footer = {"", "Exit codes: 0 completed or duplicate, 1 run failed, 2 bad usage, 3 rejected, 4 in progress elsewhere."})
final class IngestCommand implements Callable<Integer> {
  @ParentCommand SentinelCli root;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE", description = "The CSV file to load.")
  Path file;

  @Option(names = "--source", required = true, paramLabel = "S",
      description = "Source profile that maps the file's headers (e.g. judgments).")
  String source;

  @Option(names = "--dry-run", description = "Validate and preview the counts; write nothing to the target.")
  boolean dryRun;

  @Option(names = "--json", description = "Print one JSON object instead of the one-line summary.")
  boolean json;

  @Option(names = "--threshold", paramLabel = "PERCENT", converter = PercentConverter.class,
      description = "This batch's error threshold in percent (0-100); overrides the source profile's.")
  BigDecimal threshold;

  /** Reads a percentage; says what was wrong without a Java exception name. */
  static final class PercentConverter implements CommandLine.ITypeConverter<BigDecimal> {
    @Override public BigDecimal convert(String value) {
      try {
        return new BigDecimal(value.trim());
      } catch (NumberFormatException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a number of percent such as 12.5");
      }
    }
  }

  /** What a "nothing happened" answer means and what to run instead, on stderr (stdout stays one line). */
  private void hints(IntakeResult result) {
    var err = spec.commandLine().getErr();
    if (!json && !result.ignoredColumns().isEmpty()) {
      err.println("note: ignored " + result.ignoredColumns().size() + " column(s) the source profile '" + source
          + "' does not know: " + String.join(", ", result.ignoredColumns())
          + " (to load one, add an alias: sentinel source add NAME --alias 'HEADER=COLUMN')");
    }
    if (!IntakeResult.DUPLICATE.equals(result.status()) || result.duplicateOfStatus() == null) return;
    long original = result.duplicateOf();
    switch (result.duplicateOfStatus()) {
      case "failed" -> err.println("hint: this file was already tried as batch " + original + " and rejected; to run it "
          + "again as a new attempt: sentinel batch reingest " + original + " --reason \"…\" (add --threshold PERCENT to "
          + "accept more invalid rows; 'sentinel batch errors " + original + "' shows why it was rejected)");
      case "rolled_back" -> err.println("hint: batch " + original + " loaded this file and was rolled back; to load it "
          + "again, give the file a new version (copy it, or touch it) and run this ingest again (runbooks/rollback.md)");
      default -> { }
    }
  }

  @Override public Integer call() throws IOException {
    LocalFiles.require(file);
    IngestOptions options;
    try {
      options = new IngestOptions(dryRun, Optional.ofNullable(threshold), Optional.empty());
    } catch (IllegalArgumentException e) {
      throw new UserMistake("--threshold: " + e.getMessage());
    }
    Path path = file.toAbsolutePath().normalize();
    // A local file's version is its size and modification time: editing it makes a new batch.
    var ref = new ObjectRef(source, path.toString(),
        Files.size(path) + ":" + Files.getLastModifiedTime(path).toMillis());
    var pipeline = new IntakePipeline(root.connector().migratedDatabase(), root.connector().config(),
        Clock.systemUTC());
    // a deadlock or a dropped connection is tried again, reading the file anew
    IntakeResult result = pipeline.retryingTransientFailures(() -> {
      try (InputStream in = LocalFiles.open(path)) {
        return pipeline.ingest(ref, in, options);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    spec.commandLine().getOut().println(json ? Json.write(result) : result.oneLine());
    hints(result);
    return switch (result.status()) {
      case IntakeResult.FAILED -> ExitCodes.REJECTED;
      case IntakeResult.IN_PROGRESS -> ExitCodes.IN_PROGRESS;
      default -> ExitCodes.OK;
    };
  }
}
