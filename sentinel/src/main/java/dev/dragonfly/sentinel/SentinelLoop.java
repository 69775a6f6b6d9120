package dev.dragonfly.sentinel;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code sentinel --loop}: a pass every interval until stopped, and an HTTP port with
 * {@code /healthz} (200 while passes run on time and report; 503 with the reason when the last
 * one is older than three intervals, or was unknown or could not decide or deliver its alerts,
 * see {@link PassTrouble}) and {@code /metrics}. A pass never ends the loop: what it could not see is
 * {@code unknown} in its report. {@link #stop} lets the current pass finish.
 */
final class SentinelLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SentinelLoop.class);

  private final Supplier<Report> pass;
  private final Consumer<Report> print;
  private final Clock clock;
  private final Duration interval;
  private final SentinelMetrics metrics = new SentinelMetrics();
  private final HttpServer http;
  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Instant startedAt;
  private volatile Instant lastPassAt;
  private volatile String lastStatus = "none yet";
  /** Why the last pass may have told nobody; null when it did its job. */
  private volatile String lastTrouble;

  SentinelLoop(Supplier<Report> pass, Consumer<Report> print, Clock clock, Duration interval, int port) throws IOException {
    this.pass = pass;
    this.print = print;
    this.clock = clock;
    this.interval = interval;
    this.startedAt = clock.instant();
    this.http = HttpServer.create(new InetSocketAddress(port), 0);
    http.createContext("/metrics", new MetricsHandler(metrics.registry()));
    http.createContext("/healthz", this::healthz);
    http.start();
  }

  int port() {
    return http.getAddress().getPort();
  }

  /** Runs passes until {@link #stop}; returns after the pass that was running when it was called. */
  void run() {
    try {
      while (stopRequested.getCount() > 0) {
        try {
          Report report = pass.get();
          metrics.observe(report);
          lastPassAt = clock.instant();
          lastStatus = report.status().label();
          lastTrouble = PassTrouble.of(report).orElse(null);
          print.accept(report);
        } catch (RuntimeException e) { // a bug in the pass itself: say so, keep watching
          log.error("sentinel pass failed: {}", e.toString(), e);
          lastTrouble = "the pass failed (" + e + "); this is a bug: report it with the sentinel's log";
        }
        if (stopRequested.await(interval.toMillis(), TimeUnit.MILLISECONDS)) break;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      stopped.countDown();
    }
  }

  /** Asks the loop to stop after its current pass, and waits up to {@code limit} for it. */
  boolean stop(Duration limit) {
    stopRequested.countDown();
    try {
      return stopped.await(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void healthz(HttpExchange exchange) throws IOException {
    Instant now = clock.instant();
    Instant reference = lastPassAt != null ? lastPassAt : startedAt;
    boolean onTime = Duration.between(reference, now).compareTo(interval.multipliedBy(3)) <= 0;
    String trouble = lastTrouble;
    String body = (!onTime ? "late" : trouble != null ? "failing" : "ok") + ": last pass "
        + (lastPassAt == null ? "none yet" : lastPassAt + " (" + lastStatus + ")") + ", interval " + interval
        + (trouble != null ? ": " + trouble : "") + "\n";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(onTime && trouble == null ? 200 : 503, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  @Override public void close() {
    http.stop(0);
  }
}
