package dev.dragonfly.functions;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A behavioural stand-in for SNS on a local port: it accepts the Query-protocol Publish calls
 * the real SDK client sends, records topic, subject, message and attributes, and answers as SNS
 * does. Anything else gets a 400, so a wrong call fails the test.
 */
public final class SnsFake implements AutoCloseable {
  public record Publish(String topicArn, String subject, String message, Map<String, String> attributes) {}

  private final HttpServer server;
  private final List<Publish> published = new CopyOnWriteArrayList<>();
  private volatile boolean down;
  private final AtomicInteger refused = new AtomicInteger();

  public SnsFake() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      Map<String, String> form = form(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      byte[] body;
      int status;
      if (down) {
        refused.incrementAndGet();
        status = 500;
        body = "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>outage</Message></Error></ErrorResponse>"
            .getBytes(StandardCharsets.UTF_8);
      } else if ("Publish".equals(form.get("Action")) && form.containsKey("TopicArn") && form.containsKey("Message")) {
        published.add(new Publish(form.get("TopicArn"), form.get("Subject"), form.get("Message"), attributes(form)));
        status = 200;
        body = ("<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult><MessageId>"
            + UUID.randomUUID() + "</MessageId></PublishResult><ResponseMetadata><RequestId>" + UUID.randomUUID()
            + "</RequestId></ResponseMetadata></PublishResponse>").getBytes(StandardCharsets.UTF_8);
      } else {
        status = 400;
        body = "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>unsupported</Message></Error></ErrorResponse>"
            .getBytes(StandardCharsets.UTF_8);
      }
      exchange.getResponseHeaders().add("Content-Type", "text/xml");
      exchange.sendResponseHeaders(status, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
  }

  /** While down, every call gets a 500 InternalError, as in an SNS outage. */
  public void down(boolean down) {
    this.down = down;
  }

  public int refused() {
    return refused.get();
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  public List<Publish> published() {
    return List.copyOf(published);
  }

  /** An {@code application/x-www-form-urlencoded} body as name to value (the Query protocol's, and Slack's). */
  public static Map<String, String> form(String body) {
    Map<String, String> form = new LinkedHashMap<>();
    for (String pair : body.split("&")) {
      if (pair.isEmpty()) continue;
      int eq = pair.indexOf('=');
      form.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
          eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return form;
  }

  private static Map<String, String> attributes(Map<String, String> form) {
    Map<String, String> attributes = new LinkedHashMap<>();
    for (int i = 1; form.containsKey("MessageAttributes.entry." + i + ".Name"); i++) {
      attributes.put(form.get("MessageAttributes.entry." + i + ".Name"),
          form.get("MessageAttributes.entry." + i + ".Value.StringValue"));
    }
    return attributes;
  }

  @Override public void close() {
    server.stop(0);
  }
}
