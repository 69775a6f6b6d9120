package dev.dragonfly.sentinel.check;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dragonfly.intake.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * PostgREST seen from outside, the way a client sees it: its OpenAPI root, a read of one
 * relation, and its admin server's {@code /ready}. Nothing here is called that runs user code
 * (no {@code /rpc/} call: a function's call executes it).
 */
final class PostgrestApi {
  /** PostgREST has no schema cache at all: 503 {@code PGRST002}, or {@code /ready} not 200. */
  static final class NoSchemaCacheException extends RuntimeException {
    NoSchemaCacheException(String message) {
      super(message, null, false, false);
    }
  }

  /** What PostgREST's OpenAPI root lists for one schema: relations, their columns, functions. */
  record OpenApi(Set<String> relations, Map<String, Set<String>> columns, Set<String> functions) {}

  /** A read's answer: the HTTP status and PostgREST's error code, if it sent one. */
  record Answer(int status, Optional<String> code) {}

  private final OkHttpClient http;
  private final HttpUrl base;
  private final Optional<HttpUrl> admin;
  private final String defaultSchema;

  PostgrestApi(URI url, Optional<URI> adminUrl, String defaultSchema) {
    this.http = new OkHttpClient.Builder()
        .connectTimeout(Duration.ofSeconds(2)).callTimeout(Duration.ofSeconds(5)).build();
    this.base = HttpUrl.get(url);
    this.admin = adminUrl.map(HttpUrl::get);
    this.defaultSchema = defaultSchema;
  }

  String address() {
    return base.toString();
  }

  /** Throws when PostgREST's admin server says it is not ready (pool or schema cache down). */
  void requireReady() {
    if (admin.isEmpty()) return;
    HttpUrl ready = admin.get().newBuilder().addPathSegment("ready").build();
    try (Response r = http.newCall(new Request.Builder().url(ready).get().build()).execute()) {
      if (r.code() != 200) throw new NoSchemaCacheException("its admin server's /ready answers " + r.code());
    } catch (IOException e) {
      throw new UncheckedIOException("PostgREST's admin server at " + admin.get() + " does not answer: " + e.getMessage(), e);
    }
  }

  /**
   * The OpenAPI root of {@code schema}, or empty when PostgREST does not serve one
   * (openapi-mode disabled: 404). Lists what the calling role may see (openapi-mode
   * follow-privileges), so a missing entry is a lead, not a verdict.
   */
  Optional<OpenApi> openApi(String schema) {
    JsonNode root;
    try (Response r = http.newCall(request(base, schema).header("Accept", "application/openapi+json").build()).execute()) {
      String body = r.body() == null ? "" : r.body().string();
      failIfNoCache(r.code(), code(body));
      if (r.code() != 200) return Optional.empty();
      root = Json.readTree(body);
    } catch (IOException e) {
      throw unreachable(e);
    } catch (IllegalArgumentException notJson) {
      return Optional.empty();
    }
    Set<String> relations = new HashSet<>();
    Set<String> functions = new HashSet<>();
    for (Iterator<String> paths = root.path("paths").fieldNames(); paths.hasNext(); ) {
      String path = paths.next();
      if (path.startsWith("/rpc/")) functions.add(path.substring("/rpc/".length()));
      else if (path.length() > 1) relations.add(path.substring(1));
    }
    Map<String, Set<String>> columns = new HashMap<>();
    root.path("definitions").fields().forEachRemaining(d -> {
      Set<String> names = new HashSet<>();
      d.getValue().path("properties").fieldNames().forEachRemaining(names::add);
      columns.put(d.getKey(), names);
    });
    return Optional.of(new OpenApi(relations, columns, functions));
  }

  /** {@code GET /<relation>?limit=0}: reads no rows, but PostgREST must find the relation in its cache. */
  Answer read(String schema, String relation) {
    HttpUrl url = base.newBuilder().addPathSegment(relation).addQueryParameter("limit", "0").build();
    try (Response r = http.newCall(request(url, schema).build()).execute()) {
      Optional<String> code = code(r.body() == null ? "" : r.body().string());
      failIfNoCache(r.code(), code);
      return new Answer(r.code(), code);
    } catch (IOException e) {
      throw unreachable(e);
    }
  }

  /** PostgREST picks the first of its db-schemas unless asked for another with Accept-Profile. */
  private Request.Builder request(HttpUrl url, String schema) {
    Request.Builder b = new Request.Builder().url(url).get();
    if (!schema.equals(defaultSchema)) b.header("Accept-Profile", schema);
    return b;
  }

  private static void failIfNoCache(int status, Optional<String> code) {
    if (status == 503 && code.filter("PGRST002"::equals).isPresent()) {
      throw new NoSchemaCacheException("it answers 503 PGRST002 (could not query the database for the schema cache)");
    }
  }

  private static Optional<String> code(String body) {
    if (body.isBlank() || !body.trim().startsWith("{")) return Optional.empty();
    try {
      return Optional.ofNullable(Json.readTree(body).path("code").textValue());
    } catch (IllegalArgumentException notJson) {
      return Optional.empty();
    }
  }

  private UncheckedIOException unreachable(IOException e) {
    return new UncheckedIOException("PostgREST at " + base + " does not answer: " + e.getMessage(), e);
  }
}
