package dev.dragonfly.intake;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/** Small judgments files written in the test, and a fixed clock. All personal data is fake. */
public final class Fixtures {
  private Fixtures() {}

  public static final Clock CLOCK = Clock.fixed(Instant.parse("2026-06-15T12:00:00Z"), ZoneOffset.UTC);

  public static final String HEADER = "case_number,plaintiff_name,defendant_name,judgment_amount,judgment_date,"
      + "court,county,defendant_address,defendant_ssn_last4,defendant_email";

  /** A valid row; the case number is the only thing that varies. */
  public static String row(String caseNumber) {
    return caseNumber + ",Acme Credit LLC,Jane Example,1250.00,2024-03-01,District Court,Kings,"
        + "1 Example St,0000,jane@example.com";
  }

  public static String row(String caseNumber, String amount) {
    return caseNumber + ",Acme Credit LLC,Jane Example," + amount + ",2024-03-01,District Court,Kings,"
        + "1 Example St,0000,jane@example.com";
  }

  public static String csv(String... rows) {
    StringBuilder sb = new StringBuilder(HEADER).append('\n');
    for (String r : rows) sb.append(r).append('\n');
    return sb.toString();
  }

  /** A file of {@code n} valid rows keyed {@code prefix}1 to {@code prefix}n. */
  public static String csvOfRows(String prefix, int n) {
    String[] rows = new String[n];
    for (int i = 0; i < n; i++) rows[i] = row(prefix + (i + 1));
    return csv(rows);
  }

  public static InputStream stream(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  public static ObjectRef ref(String key) {
    return new ObjectRef("judgments", key, "v1");
  }
}
