package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.ref;
import static dev.dragonfly.intake.Fixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a hint pastes into a command from vendor input reaches the command as one argument, as a
 * POSIX shell ({@code /bin/sh}) parses it, with {@code printf} in place of {@code sentinel}.
 */
class ShellQuoteTest {
  private static final String HOSTILE = "'; touch pwned; echo '";

  @TempDir Path dir;

  @Test
  void aliasHintOfARejectedHeader_givesTheHostileHeaderAsOneArgument_andRunsNothing() throws Exception {
    Database db = TestDatabase.fresh();
    IntakePipeline pipeline = new IntakePipeline(db, IntakeConfig.defaults(), Fixtures.CLOCK);
    String file = HOSTILE + ",plaintiff_name,defendant_name,judgment_amount,judgment_date\nC-1,Acme,Jane,5.00,2024-03-01\n";

    IntakeResult result = pipeline.ingest(ref("hostile.csv"), stream(file), IngestOptions.DEFAULT);

    String reason = result.rejectionReason();
    String start = "(map one with an alias: ";
    String command = reason.substring(reason.indexOf(start) + start.length(), reason.indexOf(")" + "; the first line"));
    assertThat(command).startsWith("sentinel source add NAME --alias ");
    List<String> words = shellWords(command.replaceFirst("^sentinel ", ""));
    assertThat(words).containsExactly("source", "add", "NAME", "--alias", HOSTILE + "=case_number");
    assertThat(dir.resolve("pwned")).doesNotExist();
  }

  @ParameterizedTest
  @ValueSource(strings = {"it's", "''", "$(id)", "`id`", "a\"b", "back\\slash", "line\nbreak", "$HOME", " spaced ", "",
      "*", "-n"})
  void quotedTextIsOneShellWordEqualToTheText(String text) throws Exception {
    assertThat(shellWords(ShellQuote.quote(text))).containsExactly(text);
  }

  /** The words {@code /bin/sh} makes of {@code line}, each printed NUL-terminated by printf, run in an empty folder. */
  private List<String> shellWords(String line) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("/bin/sh", "-c", "printf '%s\\0' " + line).directory(dir.toFile())
        .redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor()).as(out).isZero();
      assertThat(out).endsWith("\0");
      return List.of(out.substring(0, out.length() - 1).split("\0", -1));
    } finally {
      p.destroyForcibly();
    }
  }
}
