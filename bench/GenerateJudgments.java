import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes a deterministic judgments CSV for the benchmark: the same arguments give the same
 * bytes. About {@code invalidPerMille}/1000 of the rows carry exactly one defect each, cycling
 * through six row-level rules; every row keeps ten fields, so a raw {@code \copy} of the same
 * file into an all-text table succeeds. All names, addresses and numbers are made up.
 *
 * <p>Usage: {@code java bench/GenerateJudgments.java OUT.csv ROWS [INVALID_PER_MILLE=15] [SEED]}: another
 * seed gives the same case numbers with other values (a corrected re-send of the same file).
 */
public final class GenerateJudgments {
  private static final String HEADER = "case_number,plaintiff_name,defendant_name,judgment_amount,judgment_date,"
      + "court,county,defendant_address,defendant_ssn_last4,defendant_email\n";
  private static final String[] PLAINTIFFS = {"Acme Credit Recovery LLC", "Bluebird Consumer Lending Co",
      "Northwind Receivables Inc", "Contoso Capital Funding LP", "Fabrikam Finance Holdings"};
  private static final String[] FIRST = {"Jane", "John", "Alex", "Pat", "Sam", "Lee", "Max", "Ada", "Kim", "Ray"};
  private static final String[] LAST = {"Example", "Sample", "Placeholder", "Testcase", "Fixture", "Mock",
      "Dummy", "Stub", "Fake", "Invented"};
  private static final String[] COURTS = {"District Court", "Civil Court", "County Court", "Superior Court"};
  private static final String[] COUNTIES = {"Kings", "Queens", "Bronx", "Richmond", "New York", "Nassau"};
  private static final String[] STREETS = {"Example St", "Sample Ave", "Placeholder Rd", "Fixture Blvd", "Test Ln"};

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: java bench/GenerateJudgments.java OUT.csv ROWS [INVALID_PER_MILLE=15] [SEED]");
      System.exit(2);
    }
    Path out = Path.of(args[0]);
    long rows = Long.parseLong(args[1]);
    int invalidPerMille = args.length > 2 ? Integer.parseInt(args[2]) : 15;
    var random = new SplittableRandom(args.length > 3 ? Long.parseLong(args[3]) : 20261122L);
    long invalid = 0;
    try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(out), 1 << 20)) {
      os.write(HEADER.getBytes(StandardCharsets.US_ASCII));
      StringBuilder sb = new StringBuilder(256);
      for (long i = 1; i <= rows; i++) {
        sb.setLength(0);
        boolean bad = random.nextInt(1000) < invalidPerMille;
        int defect = bad ? (int) (invalid++ % 6) : -1;
        String first = FIRST[random.nextInt(FIRST.length)];
        String last = LAST[random.nextInt(LAST.length)];
        sb.append("JD-").append(2000 + i % 25).append('-').append(String.format("%09d", i)).append(',');
        sb.append(defect == 5 ? "=HYPERLINK(1)" : PLAINTIFFS[random.nextInt(PLAINTIFFS.length)]).append(',');
        sb.append(defect == 0 ? "" : first + " " + last).append(',');
        long cents = 1000 + random.nextLong(50_000_000);
        sb.append(defect == 1 ? "12.5O" : cents / 100 + "." + String.format("%02d", cents % 100)).append(',');
        sb.append(defect == 2 ? "03/15/2021" : String.format("%d-%02d-%02d", 2000 + random.nextInt(25),
            1 + random.nextInt(12), 1 + random.nextInt(28))).append(',');
        sb.append(COURTS[random.nextInt(COURTS.length)]).append(',');
        sb.append(COUNTIES[random.nextInt(COUNTIES.length)]).append(',');
        sb.append('"').append(1 + random.nextInt(9999)).append(' ').append(STREETS[random.nextInt(STREETS.length)])
            .append(", Apt ").append(1 + random.nextInt(99)).append(", Example City, NY 1").append(String.format("%04d", random.nextInt(10000))).append('"').append(',');
        sb.append(defect == 3 ? "12345" : String.format("%04d", random.nextInt(10000))).append(',');
        sb.append(defect == 4 ? "not-an-email" : first.toLowerCase() + "." + last.toLowerCase() + i + "@example.com");
        sb.append('\n');
        os.write(sb.toString().getBytes(StandardCharsets.US_ASCII));
      }
    }
    System.err.printf("%s: %d rows, %d with one defect (%.2f%%), %d bytes%n", out, rows, invalid,
        100.0 * invalid / rows, Files.size(out));
  }
}
