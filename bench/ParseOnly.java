import dev.dragonfly.intake.csv.CsvReader;
import java.io.BufferedInputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Times the CSV reader alone over a file, in a warm JVM: 3 warm-up reads, then 7 timed ones.
 * Runs against any build's classes, so a change can be compared with an older jar:
 *   java -cp sentinel/target/sentinel.jar bench/ParseOnly.java bench/out/judgments-1m.csv
 */
public class ParseOnly {
  public static void main(String[] args) throws Exception {
    long[] millis = new long[7];
    long fields = 0;
    for (int round = -3; round < millis.length; round++) {
      long t0 = System.nanoTime();
      fields = 0;
      try (InputStream in = new BufferedInputStream(new FileInputStream(args[0]), 1 << 16)) {
        CsvReader csv = new CsvReader(in);
        while (csv.next()) {
          for (int i = 0; i < csv.keptFieldCount(); i++) {
            if (csv.field(i) != null) fields++;
          }
        }
      }
      if (round >= 0) millis[round] = (System.nanoTime() - t0) / 1_000_000;
    }
    long[] sorted = millis.clone();
    Arrays.sort(sorted);
    System.out.printf("%d fields; median %d ms; runs (ms): %s%n", fields, sorted[sorted.length / 2], Arrays.toString(millis));
  }
}
