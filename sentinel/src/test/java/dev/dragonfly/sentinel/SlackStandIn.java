package dev.dragonfly.sentinel;

import dev.dragonfly.functions.SnsFake;
import dev.dragonfly.intake.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiPredicate;
import java.util.function.Supplier;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;

/**
 * Slack's Web API and an incoming webhook on a MockWebServer, behaving as Slack does towards
 * the real slack-api-client: {@code chat.postMessage} answers the channel id and a new
 * {@code ts}, {@code chat.update} answers ok for a known message, a webhook answers {@code ok}.
 * Every call is recorded with its form fields and the test clock's time. It can be scripted:
 * the next answers (a 429 with Retry-After, a 500), an outage (every call 503), a refused token
 * ({@code invalid_auth}), or slow answers.
 */
final class SlackStandIn implements AutoCloseable {
  /** One call as Slack received it: {@code method} is {@code chat.postMessage}, {@code chat.update} or {@code webhook}. */
  record Call(String method, Map<String, String> form, String body, String authorization, Instant at, int status) {
    String field(String name) {
      return form.get(name);
    }

    boolean ok() {
      return status == 200;
    }

    boolean isPost() {
      return method.equals("chat.postMessage") && form.get("thread_ts") == null;
    }

    boolean isReply() {
      return method.equals("chat.postMessage") && form.get("thread_ts") != null;
    }

    boolean isUpdate() {
      return method.equals("chat.update");
    }
  }

  static final String CHANNEL_ID = "C0ALERTS";

  private final MockWebServer server = new MockWebServer();
  private final Clock clock;
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final Deque<MockResponse> scripted = new ArrayDeque<>();
  private final List<Rule> rules = new CopyOnWriteArrayList<>();

  /** Calls {@code when} matches (by method and form) answer {@code response}, at most {@code times} times. */
  private record Rule(BiPredicate<String, Map<String, String>> when, Supplier<MockResponse> response, AtomicInteger left) {}
  private final AtomicInteger ts = new AtomicInteger();
  private volatile boolean down;
  private volatile String refusal;
  private volatile long delayMillis;

  SlackStandIn(Clock clock) {
    this.clock = clock;
    server.setDispatcher(new Dispatcher() {
      @Override public MockResponse dispatch(RecordedRequest request) {
        return answer(request);
      }
    });
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String apiUrl() {
    return server.url("/api/").toString();
  }

  String webhookUrl() {
    return server.url("/services/T000/B000/hook").toString();
  }

  /** The next answers, whatever the call, before normal service resumes. */
  synchronized void thenAnswer(MockResponse... responses) {
    scripted.addAll(List.of(responses));
  }

  /**
   * Calls matching {@code when} (the method, the form fields) answer {@code response} the next
   * {@code times} times they come, whatever else Slack does: one message Slack refuses, or fails.
   */
  void answerWhen(BiPredicate<String, Map<String, String>> when, int times, Supplier<MockResponse> response) {
    rules.add(new Rule(when, response, new AtomicInteger(times)));
  }

  /** Slack's answer {@code ok: false} with {@code error} (HTTP 200, as Slack sends it). */
  static MockResponse error(String error) {
    return json(Map.of("ok", false, "error", error));
  }

  void down(boolean down) {
    this.down = down;
  }

  /** Every Web API call answers {@code ok: false} with this error (null: normal service). */
  void refuse(String error) {
    this.refusal = error;
  }

  void slow(long millis) {
    this.delayMillis = millis;
  }

  List<Call> calls() {
    return List.copyOf(calls);
  }

  /** Calls Slack took (200 and ok). */
  List<Call> taken() {
    return calls.stream().filter(Call::ok).toList();
  }

  long posts() {
    return taken().stream().filter(Call::isPost).count();
  }

  long replies() {
    return taken().stream().filter(Call::isReply).count();
  }

  long updates() {
    return taken().stream().filter(Call::isUpdate).count();
  }

  /** Messages people see in the channel: posts and thread replies (updates edit a message in place). */
  long messages() {
    return posts() + replies();
  }

  private MockResponse answer(RecordedRequest request) {
    if (delayMillis > 0) {
      try {
        Thread.sleep(delayMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    String path = request.getPath() == null ? "" : request.getPath();
    String body = request.getBody().readUtf8();
    String method = path.startsWith("/api/") ? path.substring("/api/".length()) : "webhook";
    Map<String, String> form = method.equals("webhook") ? Map.of() : SnsFake.form(body);
    MockResponse response;
    synchronized (this) {
      response = scripted.poll();
    }
    if (response == null) {
      for (Rule rule : rules) {
        if (rule.when().test(method, form) && rule.left().getAndDecrement() > 0) {
          response = rule.response().get();
          break;
        }
      }
    }
    if (response == null) response = normal(method, form);
    calls.add(new Call(method, form, body, request.getHeader("Authorization"), clock.instant(), status(response, method)));
    return response;
  }

  private MockResponse normal(String method, Map<String, String> form) {
    if (down) return new MockResponse().setResponseCode(503).setBody("upstream unavailable");
    if (method.equals("webhook")) return new MockResponse().setBody("ok");
    if (refusal != null) return json(Map.of("ok", false, "error", refusal));
    return switch (method) {
      case "chat.postMessage" -> json(Map.of("ok", true, "channel", CHANNEL_ID,
          "ts", "1700000000." + String.format("%06d", ts.incrementAndGet())));
      case "chat.update" -> json(Map.of("ok", true, "channel", form.getOrDefault("channel", ""), "ts", form.getOrDefault("ts", "")));
      default -> json(Map.of("ok", false, "error", "unknown_method"));
    };
  }

  /** 200 with ok: true counts as taken; a refusal (ok: false) is recorded as 400 here. */
  private int status(MockResponse response, String method) {
    String code = response.getStatus().split(" ")[1];
    int status = Integer.parseInt(code);
    if (status == 200 && !method.equals("webhook") && (refusal != null || refused(response))) return 400;
    return status;
  }

  private static boolean refused(MockResponse response) {
    return response.getBody() != null && response.getBody().clone().readUtf8().replace(" ", "").contains("\"ok\":false");
  }

  static MockResponse json(Map<String, Object> body) {
    return new MockResponse().setHeader("Content-Type", "application/json").setBody(Json.write(body));
  }

  @Override public void close() throws IOException {
    server.shutdown();
  }
}
