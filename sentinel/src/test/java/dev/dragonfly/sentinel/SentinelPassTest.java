package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.Fixtures;
import dev.dragonfly.intake.MutableClock;
import dev.dragonfly.intake.TestDatabase;
import dev.dragonfly.sentinel.check.Check;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.PassHistory;
import dev.dragonfly.sentinel.check.SentinelSelf;
import dev.dragonfly.sentinel.check.Status;
import dev.dragonfly.sentinel.heal.SentinelState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.Test;

/** The pass: isolation and time limits, the verdict, and the self check across passes and restarts. */
class SentinelPassTest {
  private final Database db = TestDatabase.fresh();
  private final MutableClock clock = new MutableClock(Fixtures.CLOCK.instant());

  /** A check that says whatever the test last told it to. */
  static final class Scripted implements Check {
    private final String name;
    final AtomicReference<Object> next = new AtomicReference<>(Status.OK);

    Scripted(String name) {
      this.name = name;
    }

    @Override public String name() {
      return name;
    }

    @Override public CheckResult run(Instant now) throws Exception {
      Object n = next.get();
      if (n instanceof Exception e) throw e;
      if (n instanceof CountDownLatch hang) {
        hang.await();
        return CheckResult.of(name, Status.OK, "woke up");
      }
      return CheckResult.of(name, (Status) n, "said " + n);
    }
  }

  /**
   * A check whose run stays in its "read" until {@code release} opens, deaf to interrupts as a
   * JDBC read is; it counts how many of its runs are going at once.
   */
  static final class Deaf implements Check {
    private final String name;
    final CountDownLatch release = new CountDownLatch(1);
    final java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger mostAtOnce = new java.util.concurrent.atomic.AtomicInteger();

    Deaf(String name) {
      this.name = name;
    }

    @Override public String name() {
      return name;
    }

    @Override public CheckResult run(Instant now) {
      mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
      try {
        while (true) {
          try {
            release.await();
            return CheckResult.of(name, Status.OK, "answered at last");
          } catch (InterruptedException ignored) {
            // a blocked socket read does not notice an interrupt either
          }
        }
      } finally {
        running.decrementAndGet();
      }
    }
  }

  /** A pass over {@code checks} with the given limits, no database and no alerts: the timing of the pass alone. */
  private static Sentinel timed(List<Check> checks, Map<String, Duration> limits) {
    PassHistory history = new PassHistory(Optional.empty());
    return new Sentinel(checks, new SentinelSelf(history, Duration.ofMinutes(1), 3), Duration.ofSeconds(5), limits,
        history, Optional.empty(), "test-sentinel", Optional.empty());
  }

  private static long millisOf(Runnable pass) {
    long started = System.nanoTime();
    pass.run();
    return (System.nanoTime() - started) / 1_000_000;
  }

  private Sentinel sentinel(List<Check> checks, PassHistory history, Optional<DeadMansSwitch> ping) {
    return new Sentinel(checks, new SentinelSelf(history, Duration.ofMinutes(1), 3), Duration.ofSeconds(5),
        Map.of("hangs", Duration.ofMillis(300)), history, ping, "test-sentinel", Optional.empty());
  }

  private PassHistory history() {
    return new PassHistory(Optional.of(new SentinelState(db.jdbi())));
  }

  @Test
  void aCheckThatThrowsOrHangsIsUnknownOnItsOwnAndTheOthersStillReport() {
    var throwing = new Scripted("throws");
    throwing.next.set(new IllegalStateException("the disk is on fire"));
    var hanging = new Scripted("hangs");
    CountDownLatch never = new CountDownLatch(1);
    hanging.next.set(never);
    var fine = new Scripted("fine");
    try (Sentinel s = sentinel(List.of(throwing, hanging, fine), history(), Optional.empty())) {
      long started = System.nanoTime();
      Report report = s.runOnce(clock.instant());
      long millis = (System.nanoTime() - started) / 1_000_000;

      assertThat(report.check("throws").status()).isEqualTo(Status.UNKNOWN);
      assertThat(report.check("throws").summary()).isEqualTo("could not run: the disk is on fire");
      assertThat(report.check("hangs").status()).isEqualTo(Status.UNKNOWN);
      assertThat(report.check("hangs").summary()).isEqualTo("did not finish within 300 ms");
      assertThat(report.check("fine").status()).isEqualTo(Status.OK);
      assertThat(report.check("self").status()).isEqualTo(Status.OK);
      assertThat(millis).as("the pass waited for the hanging check only as long as its limit").isLessThan(4000);
    } finally {
      never.countDown();
    }
  }

  @Test
  void aHangingCheckIsGivenUpOnAtItsLimitNotLater() {
    var deaf = new Deaf("hangs");
    try (Sentinel s = timed(List.of(deaf, new Scripted("fine")), Map.of("hangs", Duration.ofMillis(400)))) {
      AtomicReference<Report> report = new AtomicReference<>();
      long millis = millisOf(() -> report.set(s.runOnce(clock.instant())));

      assertThat(report.get().check("hangs").summary()).isEqualTo("did not finish within 400 ms");
      assertThat(report.get().check("fine").status()).isEqualTo(Status.OK);
      assertThat(millis).as("a 400 ms limit").isBetween(400L, 799L);
    } finally {
      deaf.release.countDown();
    }
  }

  @Test
  void twoHangingChecksAreEachLimitedFromThePassStartSoThePassLastsTheLongerLimitNotTheirSum() {
    var first = new Deaf("hangs");
    var second = new Deaf("hangs-too");
    try (Sentinel s = timed(List.of(first, second),
        Map.of("hangs", Duration.ofMillis(400), "hangs-too", Duration.ofMillis(600)))) {
      AtomicReference<Report> report = new AtomicReference<>();
      long millis = millisOf(() -> report.set(s.runOnce(clock.instant())));

      assertThat(report.get().check("hangs").summary()).isEqualTo("did not finish within 400 ms");
      assertThat(report.get().check("hangs-too").summary()).isEqualTo("did not finish within 600 ms");
      assertThat(millis).as("limits of 400 and 600 ms counted from the pass start (1000 ms if counted one after the other)")
          .isBetween(600L, 999L);
    } finally {
      first.release.countDown();
      second.release.countDown();
    }
  }

  @Test
  void aCheckStillRunningFromAnEarlierPassIsNotStartedAgainSoItsThreadsStayOneAndTheOthersStillRun() {
    var deaf = new Deaf("hangs");
    var fine = new Scripted("fine");
    java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
    try (Sentinel s = timed(List.of(deaf, fine), Map.of("hangs", Duration.ofMillis(100), "fine", Duration.ofMillis(2000)))) {
      Instant first = clock.instant();
      assertThat(s.runOnce(first).check("hangs").summary()).isEqualTo("did not finish within 100 ms");
      for (int pass = 2; pass <= 20; pass++) {
        clock.advance(Duration.ofMinutes(1));
        Report report = s.runOnce(clock.instant());
        assertThat(report.check("hangs").summary()).as("pass %d", pass).isEqualTo("still running since the pass at "
            + first + ", which it did not finish within 100 ms; not started again");
        assertThat(report.check("fine").status()).as("pass %d", pass).isEqualTo(Status.OK);
      }
      long checkThreads = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> !before.contains(t) && t.getName().equals("sentinel-check") && t.isAlive()).count();
      assertThat(deaf.mostAtOnce.get()).as("runs of the hanging check at once").isEqualTo(1);
      assertThat(checkThreads).as("check threads after 20 passes of 2 checks and self").isLessThanOrEqualTo(3);

      deaf.release.countDown(); // its read returns at last: a later pass runs it again
      while (deaf.running.get() > 0) Thread.onSpinWait();
      String summary;
      int passes = 0;
      do { // its thread may still be between its return and being free when the next pass starts
        clock.advance(Duration.ofMinutes(1));
        summary = s.runOnce(clock.instant()).check("hangs").summary();
      } while (summary.startsWith("still running") && ++passes < 3);
      assertThat(summary).isEqualTo("answered at last");
    } finally {
      deaf.release.countDown();
    }
  }

  @Test
  void theVerdictIsTheWorstFindingWithUnknownBelowWarningAndSkippedCountingAsOk() {
    var a = new Scripted("a");
    var b = new Scripted("b");
    try (Sentinel s = sentinel(List.of(a, b), new PassHistory(Optional.empty()), Optional.empty())) {
      a.next.set(Status.OK);
      b.next.set(Status.SKIPPED);
      assertThat(s.runOnce(clock.instant()).status()).isEqualTo(Status.OK);
      b.next.set(Status.UNKNOWN);
      assertThat(s.runOnce(clock.instant()).status()).isEqualTo(Status.UNKNOWN);
      a.next.set(Status.WARNING);
      assertThat(s.runOnce(clock.instant()).status()).isEqualTo(Status.WARNING);
      b.next.set(Status.CRITICAL);
      assertThat(s.runOnce(clock.instant()).status()).isEqualTo(Status.CRITICAL);
    }
  }

  @Test
  void selfWarnsWhenItsOwnPreviousPassIsMoreThanThreeIntervalsOldSayingFromWhenToWhen() {
    try (Sentinel s = sentinel(List.of(), history(), Optional.empty())) {
      s.runOnce(clock.instant());
      clock.advance(Duration.ofMinutes(3)); // exactly three intervals: on time
      assertThat(s.runOnce(clock.instant()).check("self").status()).isEqualTo(Status.OK);
      Instant lastPass = clock.instant();
      clock.advance(Duration.ofMinutes(3).plusSeconds(1));
      CheckResult self = s.runOnce(clock.instant()).check("self");

      assertThat(self.status()).isEqualTo(Status.WARNING);
      assertThat(self.summary()).isEqualTo("no sentinel pass from " + lastPass + " to " + clock.instant() + " (3 min; "
          + "passes are due every 60 s): this sentinel was running but did not pass (a pass hung, or it was paused)");
      clock.advance(Duration.ofMinutes(1));
      assertThat(s.runOnce(clock.instant()).check("self").status()).isEqualTo(Status.OK);
    }
  }

  @Test
  void aSentinelStartingLongAfterTheLastPassDoesNotReportItsStartAsAGap() {
    try (Sentinel s = sentinel(List.of(), history(), Optional.empty())) {
      s.runOnce(clock.instant());
    }
    Instant lastPass = clock.instant();
    clock.advance(Duration.ofMinutes(17));
    try (Sentinel restarted = sentinel(List.of(), history(), Optional.empty())) { // a new process: a deploy, a restart
      CheckResult self = restarted.runOnce(clock.instant()).check("self");

      assertThat(self.status()).isEqualTo(Status.OK);
      assertThat(self.details()).containsEntry("last_pass_before_this_sentinel_started", lastPass + " by test-sentinel");
      clock.advance(Duration.ofMinutes(4)); // its own passes count from its first
      assertThat(restarted.runOnce(clock.instant()).check("self").status()).isEqualTo(Status.WARNING);
    }
  }

  @Test
  void selfWarnsWhenThePreviousPassIsJustPastThreeIntervals() {
    try (Sentinel s = sentinel(List.of(), history(), Optional.empty())) {
      Instant lastPass = clock.instant();
      s.runOnce(lastPass);
      clock.advance(Duration.ofMinutes(3).plusSeconds(1));
      CheckResult self = s.runOnce(clock.instant()).check("self");

      assertThat(self.status()).isEqualTo(Status.WARNING);
      assertThat(self.summary()).startsWith("no sentinel pass from " + lastPass + " to " + clock.instant() + " (3 min;");
    }
  }

  @Test
  void selfWarnsOnceACheckHasBeenUnknownForTheConfiguredPassesAndSaysWhenItRunsAgain() {
    var flaky = new Scripted("flaky");
    flaky.next.set(new IllegalStateException("down"));
    try (Sentinel s = sentinel(List.of(flaky), history(), Optional.empty())) {
      Instant since = clock.instant();
      assertThat(s.runOnce(clock.instant()).check("self").status()).isEqualTo(Status.OK);
      clock.advance(Duration.ofMinutes(1));
      assertThat(s.runOnce(clock.instant()).check("self").status()).isEqualTo(Status.OK);
      clock.advance(Duration.ofMinutes(1));
      CheckResult third = s.runOnce(clock.instant()).check("self");
      assertThat(third.status()).isEqualTo(Status.WARNING);
      assertThat(third.summary()).isEqualTo("check flaky could not run for 3 passes in a row, since " + since
          + "; see its line in this report");

      flaky.next.set(Status.OK);
      clock.advance(Duration.ofMinutes(1));
      CheckResult recovered = s.runOnce(clock.instant()).check("self");
      assertThat(recovered.status()).isEqualTo(Status.OK);
      assertThat(recovered.summary()).isEqualTo("passes on time; flaky runs again after 3 unknown pass(es) since " + since);
    }
  }

  @Test
  void theDeadMansSwitchIsPingedEveryPassAndToldFailWhenThePassIsCritical() throws Exception {
    try (MockWebServer hc = new MockWebServer()) {
      hc.enqueue(new MockResponse().setBody("OK"));
      hc.enqueue(new MockResponse().setBody("OK"));
      hc.start();
      var check = new Scripted("a");
      var ping = new DeadMansSwitch(hc.url("/ping/3f1c").uri());
      try (Sentinel s = sentinel(List.of(check), new PassHistory(Optional.empty()), Optional.of(ping))) {
        assertThat(s.runOnce(clock.instant()).deadMansSwitch()).isEqualTo("pinged");
        check.next.set(Status.CRITICAL);
        assertThat(s.runOnce(clock.instant()).deadMansSwitch()).isEqualTo("pinged /fail");
      }
      RecordedRequest first = hc.takeRequest();
      RecordedRequest second = hc.takeRequest();
      assertThat(first.getPath()).isEqualTo("/ping/3f1c");
      assertThat(second.getPath()).isEqualTo("/ping/3f1c/fail");
    }
  }

  @Test
  void anUnreachableDeadMansSwitchIsReportedAndDoesNotFailThePass() {
    var ping = new DeadMansSwitch(java.net.URI.create("http://127.0.0.1:1/ping"));
    try (Sentinel s = sentinel(List.of(new Scripted("a")), new PassHistory(Optional.empty()), Optional.of(ping))) {
      Report report = s.runOnce(clock.instant());
      assertThat(report.status()).isEqualTo(Status.OK);
      assertThat(report.deadMansSwitch()).startsWith("ping failed: ");
    }
  }
}
