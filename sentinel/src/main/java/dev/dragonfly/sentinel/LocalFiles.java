package dev.dragonfly.sentinel;

import dev.dragonfly.functions.GzipInput;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** A CSV file given on the command line (ingest, batch reingest --file): checked, then read as the function reads an object. */
final class LocalFiles {
  private LocalFiles() {}

  /** Refuses a directory, a missing file or an unreadable one, each with its own code. */
  static void require(Path file) {
    if (Files.isDirectory(file)) throw new UserMistake("NOT_A_FILE", file + " is a directory; give the CSV file to load");
    if (!Files.isRegularFile(file)) throw new UserMistake("NO_SUCH_FILE", "no such file: " + file);
    if (!Files.isReadable(file)) throw new UserMistake("NOT_READABLE", "cannot read file: " + file);
  }

  /** Buffered, and through gzip for a {@code .gz} file, as the function reads a {@code .csv.gz} from S3. */
  static InputStream open(Path file) throws IOException {
    InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    return file.toString().endsWith(".gz") ? new GzipInput(in) : in;
  }
}
