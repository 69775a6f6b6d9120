package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.HttpUrl;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * A PostgREST that behaves like one towards the sentinel, on a real database: it builds its
 * schema cache from the catalog at start and again only when told on channel {@code pgrst}
 * (an empty payload or {@code reload schema}; any other payload, a bare {@code reload}
 * included, is ignored, as PostgREST does). It serves {@code GET /<relation>} and the OpenAPI
 * root from that cache with PostgREST's response shapes, and an admin server with
 * {@code /live} and {@code /ready}. It can ignore reloads, be slow to reload, or fail to load
 * its cache (then everything answers 503 {@code PGRST002}, and {@code /ready} 503).
 */
final class PostgrestStandIn implements AutoCloseable {
  /** Relations (with columns) and function names by schema; null while no cache could be loaded. */
  private record Cache(Map<String, Map<String, List<String>>> relations, Map<String, Set<String>> functions) {}

  private final Database db;
  private final List<String> schemas;
  private final MockWebServer api = new MockWebServer();
  private final MockWebServer admin = new MockWebServer();
  private final Connection listening;
  private final Thread listener;
  private final List<String> payloads = new ArrayList<>();
  private final AtomicInteger relationReads = new AtomicInteger();
  private volatile Cache cache;
  private volatile boolean ignoreReloads;
  private volatile boolean failLoads;
  private volatile Duration reloadTakes = Duration.ZERO;
  private volatile boolean closed;

  PostgrestStandIn(Database db, String... schemas) {
    this.db = db;
    this.schemas = List.of(schemas.length == 0 ? new String[] {"public"} : schemas);
    try {
      listening = db.connection();
      listening.createStatement().execute("LISTEN pgrst");
      api.setDispatcher(dispatcher(this::answer));
      admin.setDispatcher(dispatcher(this::answerAdmin));
      api.start();
      admin.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    load();
    listener = new Thread(this::listen, "pgrst-stand-in-listener");
    listener.setDaemon(true);
    listener.start();
  }

  URI url() {
    return api.url("/").uri();
  }

  URI adminUrl() {
    return admin.url("/").uri();
  }

  /** Keeps its cache whatever it is told, like a PostgREST whose listener is not connected. */
  void ignoreReloads() {
    ignoreReloads = true;
  }

  /** Each reload finishes only this long after its notification, like PostgREST on a large catalog. */
  void reloadTakes(Duration d) {
    reloadTakes = d;
  }

  /** From now on its cache cannot be loaded: it drops the one it has (as on losing the database). */
  void failCacheLoads() {
    failLoads = true;
    cache = null;
  }

  /** Every payload received on channel pgrst, in order. */
  synchronized List<String> payloads() {
    return List.copyOf(payloads);
  }

  /** How many of them PostgREST would take as a schema reload. */
  synchronized long schemaReloadsReceived() {
    return payloads.stream().filter(p -> p.isEmpty() || p.equals("reload schema")).count();
  }

  int relationReads() {
    return relationReads.get();
  }

  /** Waits until {@code n} notifications have arrived (and been acted on), at most 5 s. */
  synchronized void awaitPayloads(int n) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (payloads.size() < n) {
      long left = until - System.nanoTime();
      if (left <= 0) throw new AssertionError("stand-in received " + payloads + ", expected " + n + " notification(s)");
      wait(Math.max(1, left / 1_000_000));
    }
  }

  private void listen() {
    PGConnection pg;
    try {
      pg = listening.unwrap(PGConnection.class);
      while (!closed) {
        PGNotification[] got = pg.getNotifications(200);
        if (got == null) continue;
        for (PGNotification n : got) {
          String payload = n.getParameter();
          if ((payload.isEmpty() || payload.equals("reload schema")) && !ignoreReloads) {
            Thread.sleep(reloadTakes.toMillis());
            load();
          }
          synchronized (this) {
            payloads.add(payload);
            notifyAll();
          }
        }
      }
    } catch (SQLException | InterruptedException e) {
      if (!closed) throw new IllegalStateException("stand-in listener stopped", e);
    }
  }

  private void load() {
    if (failLoads) {
      cache = null;
      return;
    }
    cache = db.jdbi().withHandle(h -> {
      Map<String, Map<String, List<String>>> relations = new LinkedHashMap<>();
      Map<String, Set<String>> functions = new LinkedHashMap<>();
      for (String schema : schemas) {
        Map<String, List<String>> rels = new LinkedHashMap<>();
        h.createQuery("""
                SELECT c.relname, a.attname FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                ORDER BY c.relname, a.attnum""")
            .bind("schema", schema)
            .map((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2)})
            .forEach(r -> {
              List<String> columns = rels.computeIfAbsent(r[0], k -> new ArrayList<>());
              if (r[1] != null) columns.add(r[1]);
            });
        relations.put(schema, rels);
        functions.put(schema, Set.copyOf(h.createQuery("""
                SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = :schema""").bind("schema", schema).mapTo(String.class).list()));
      }
      return new Cache(relations, functions);
    });
  }

  private MockResponse answer(RecordedRequest request) {
    Cache c = cache;
    if (c == null) {
      return error(503, "PGRST002", "Could not query the database for the schema cache. Retrying.");
    }
    String profile = request.getHeader("Accept-Profile");
    String schema = profile == null ? schemas.get(0) : profile;
    if (!schemas.contains(schema)) {
      return error(406, "PGRST106", "Invalid schema: " + schema);
    }
    HttpUrl url = request.getRequestUrl();
    List<String> path = url.pathSegments().stream().filter(s -> !s.isEmpty()).toList();
    if (path.isEmpty()) return openApi(c, schema);
    if (path.size() == 2 && path.get(0).equals("rpc")) {
      return c.functions().get(schema).contains(path.get(1))
          ? json(200, "null")
          : error(404, "PGRST202", "Could not find the function " + schema + "." + path.get(1) + " without parameters in the schema cache");
    }
    relationReads.incrementAndGet();
    String relation = path.get(0);
    if (!c.relations().get(schema).containsKey(relation)) {
      return error(404, "PGRST205", "Could not find the table '" + schema + "." + relation + "' in the schema cache");
    }
    return json(200, "[]").setHeader("Content-Range", "*/*");
  }

  /** The Swagger 2.0 document PostgREST serves at its root: a path per relation and function, a definition per relation. */
  private static MockResponse openApi(Cache c, String schema) {
    Map<String, Object> paths = new LinkedHashMap<>();
    paths.put("/", Map.of("get", Map.of("summary", "OpenAPI description (this document)")));
    Map<String, Object> definitions = new LinkedHashMap<>();
    c.relations().get(schema).forEach((name, columns) -> {
      paths.put("/" + name, Map.of("get", Map.of("tags", List.of(name))));
      Map<String, Object> properties = new LinkedHashMap<>();
      columns.forEach(col -> properties.put(col, Map.of("type", "string")));
      definitions.put(name, Map.of("type", "object", "properties", properties));
    });
    c.functions().get(schema).forEach(fn -> paths.put("/rpc/" + fn, Map.of("post", Map.of("tags", List.of("(rpc) " + fn)))));
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("swagger", "2.0");
    doc.put("info", Map.of("title", "PostgREST API", "version", "stand-in"));
    doc.put("paths", paths);
    doc.put("definitions", definitions);
    return new MockResponse().setResponseCode(200).setHeader("Content-Type", "application/openapi+json; charset=utf-8")
        .setBody(Json.write(doc));
  }

  private MockResponse answerAdmin(RecordedRequest request) {
    String path = request.getRequestUrl().encodedPath();
    if (path.equals("/live")) return new MockResponse().setResponseCode(200);
    if (path.equals("/ready")) return new MockResponse().setResponseCode(cache == null ? 503 : 200);
    return new MockResponse().setResponseCode(404);
  }

  /** PostgREST's error body: code, details, hint, message. */
  private static MockResponse error(int status, String code, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("code", code);
    body.put("details", null);
    body.put("hint", null);
    body.put("message", message);
    return json(status, Json.MAPPER.valueToTree(body).toString());
  }

  private static MockResponse json(int status, String body) {
    return new MockResponse().setResponseCode(status).setHeader("Content-Type", "application/json; charset=utf-8").setBody(body);
  }

  private static Dispatcher dispatcher(java.util.function.Function<RecordedRequest, MockResponse> answer) {
    return new Dispatcher() {
      @Override public MockResponse dispatch(RecordedRequest request) {
        return answer.apply(request);
      }
    };
  }

  @Override public void close() throws IOException, SQLException, InterruptedException {
    closed = true;
    listener.join(2000);
    listening.close();
    api.shutdown();
    admin.shutdown();
  }
}
