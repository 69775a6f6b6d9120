package dev.dragonfly.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedactorTest {
  @Test
  void removesSsnsInEveryCommonShape() {
    assertThat(Redactor.redact("ssn 000-12-3456 and 000 12 3456 and 000123456."))
        .isEqualTo("ssn [REDACTED-SSN] and [REDACTED-SSN] and [REDACTED-SSN].");
  }

  @Test
  void removesLuhnValidCardNumbersGroupedOrNot() {
    assertThat(Redactor.redact("card 4111 1111 1111 1111, 4111-1111-1111-1111 or 4111111111111111"))
        .isEqualTo("card [REDACTED-CARD], [REDACTED-CARD] or [REDACTED-CARD]");
  }

  @Test
  void keepsNumbersThatAreNeitherSsnsNorCards() {
    String text = "batch 42 rows=1000000 bytes=1840384507 id 4111111111111112 sha 123456789abcdef0123 JD-2001-00000001";
    assertThat(Redactor.redact(text)).isEqualTo(text);
  }
}
