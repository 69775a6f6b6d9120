package dev.dragonfly.sentinel;

import dev.dragonfly.sentinel.check.Status;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * An external dead-man's switch in the healthchecks.io style ({@code SENTINEL_PING_URL}): a
 * ping after every pass, to {@code <url>/fail} when the pass was critical, or unknown, or could
 * not decide or deliver its alerts ({@link PassTrouble}): then the sentinel may have told nobody.
 * If pings stop, the service outside raises the alarm the sentinel itself no longer can.
 */
final class DeadMansSwitch {
  private final URI url;
  private final OkHttpClient http;

  DeadMansSwitch(URI url) {
    this.url = url;
    this.http = new OkHttpClient.Builder()
        .connectTimeout(Duration.ofSeconds(5)).callTimeout(Duration.ofSeconds(10)).build();
  }

  /** Pings; returns what happened, for the report. Never throws: a failed ping must not fail the pass. */
  String ping(Status pass, Optional<String> trouble) {
    boolean fail = pass == Status.CRITICAL || trouble.isPresent();
    String target = fail ? url.toString().replaceAll("/+$", "") + "/fail" : url.toString();
    try (Response response = http.newCall(new Request.Builder().url(target).get().build()).execute()) {
      if (!response.isSuccessful()) return "ping answered HTTP " + response.code();
      return fail ? "pinged /fail" + trouble.map(t -> " (" + t + ")").orElse("") : "pinged";
    } catch (IOException | RuntimeException e) {
      return "ping failed: " + e.getMessage();
    }
  }
}
