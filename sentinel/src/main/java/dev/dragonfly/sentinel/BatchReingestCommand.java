package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Batch;
import dev.dragonfly.intake.IngestOptions;
import dev.dragonfly.intake.IntakePipeline;
import dev.dragonfly.intake.IntakeResult;
import dev.dragonfly.intake.ObjectRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Runs a rejected or stuck batch again; see runbooks/force-reingest.md. */
@Command(name = "reingest", mixinStandardHelpOptions = true,
    description = {"Run a rejected (failed), released or stuck batch again as a new attempt of the same batch.",
        "A batch loaded from a local file is re-read from that file (or --file); a batch of an S3 object is",
        "released for the ingest function and the re-drive message to publish is printed."},
    footer = {"", "Exit codes: 0 done (or released), 2 bad usage or unknown batch, 3 rejected again,",
        "5 refused (the batch loaded, is a duplicate, or its worker is alive)."})
final class BatchReingestCommand implements Callable<Integer> {
  @ParentCommand BatchCommand parent;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ID", description = "Batch id.")
  long id;

  @Option(names = "--reason", required = true, paramLabel = "R", description = "Why; kept with the batch.")
  String reason;

  @Option(names = "--file", paramLabel = "FILE", description = "Read this file instead of the batch's own path.")
  Path file;

  @Option(names = "--threshold", paramLabel = "PERCENT", converter = IngestCommand.PercentConverter.class,
      description = "This run's error threshold in percent; default: the source profile's.")
  BigDecimal threshold;

  @Override public Integer call() throws IOException {
    if (reason.isBlank()) throw new UserMistake("--reason must say why the batch is re-ingested");
    if (file != null) LocalFiles.require(file);
    IngestOptions options;
    try {
      options = new IngestOptions(false, Optional.ofNullable(threshold), Optional.empty());
    } catch (IllegalArgumentException e) {
      throw new UserMistake("--threshold: " + e.getMessage());
    }
    var connector = parent.root.connector();
    Batch batch = parent.batches().releaseForReingest(id, reason, "operator " + connector.user(), connector.config().staleAfter());
    PrintWriter out = spec.commandLine().getOut();
    Path local = file != null ? file : localPath(batch.objectKey());
    if (local == null) {
      out.println("batch " + id + " released for re-drive; publish {\"type\": \"redrive\", \"batch_id\": " + id
          + "} to the events topic with attribute event_type=redrive (runbooks/force-reingest.md)");
      return ExitCodes.OK;
    }
    var pipeline = new IntakePipeline(parent.database(), connector.config(), Clock.systemUTC());
    var ref = new ObjectRef(batch.source(), batch.objectKey(), batch.objectVersion());
    IntakeResult result = pipeline.retryingTransientFailures(() -> {
      try (InputStream in = LocalFiles.open(local)) {
        return pipeline.ingest(ref, in, options);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    out.println(result.oneLine());
    return result.status().equals(IntakeResult.FAILED) ? ExitCodes.REJECTED : ExitCodes.OK;
  }

  /** The batch's own file, when it was loaded from this machine and is still there. */
  private static Path localPath(String objectKey) {
    if (!objectKey.startsWith("/")) return null;
    Path p = Path.of(objectKey);
    return Files.isRegularFile(p) ? p : null;
  }
}
