package dev.dragonfly.sentinel.alert;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.slack.api.Slack;
import com.slack.api.SlackConfig;
import com.slack.api.methods.MethodsClient;
import com.slack.api.methods.SlackApiException;
import com.slack.api.methods.SlackApiTextResponse;
import com.slack.api.webhook.WebhookResponse;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Slack through slack-api-client: {@code chat.postMessage}, {@code chat.update} and thread
 * replies with the bot token, or incoming webhooks. Every answer becomes an {@link Outcome}; it
 * never throws, and each call is bounded by {@link #CALL_TIMEOUT}.
 */
final class SlackSender implements AutoCloseable {
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);
  /** When a 429 carries no Retry-After. */
  static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(30);
  /** Errors only an operator can fix: the token, its scopes, the channel. */
  private static final Set<String> CONFIGURATION_ERRORS = Set.of("invalid_auth", "not_authed", "account_inactive",
      "token_revoked", "token_expired", "no_permission", "missing_scope", "channel_not_found", "not_in_channel",
      "is_archived", "invalid_token", "no_service", "no_team", "team_disabled", "action_prohibited", "no_active_hooks");

  /** The message an update or reply is for is gone or frozen: posting it anew is the only way to show it. */
  private static final Set<String> MESSAGE_GONE = Set.of("message_not_found", "cant_update_message", "edit_window_closed",
      "thread_not_found");
  /** Errors about this one message that no retry fixes. */
  private static final Set<String> MESSAGE_REFUSED = Set.of("msg_too_long", "invalid_blocks", "invalid_blocks_format",
      "no_text", "too_many_attachments", "invalid_attachments", "invalid_arguments", "invalid_payload", "invalid_thread_ts",
      "no_dupes");

  private final Slack slack;
  private final Optional<MethodsClient> methods;
  private final Map<Route, URI> webhooks;

  SlackSender(URI apiUrl, Optional<String> token, Map<Route, URI> webhooks) {
    SlackConfig config = new SlackConfig();
    config.setMethodsEndpointUrlPrefix(apiUrl.toString());
    config.setHttpClientCallTimeoutMillis((int) CALL_TIMEOUT.toMillis());
    config.setHttpClientReadTimeoutMillis((int) CALL_TIMEOUT.toMillis());
    config.setStatsEnabled(false); // no background metrics thread
    config.setPrettyResponseLoggingEnabled(false);
    this.slack = Slack.getInstance(config);
    this.methods = token.map(slack::methods);
    this.webhooks = Map.copyOf(webhooks);
  }

  Outcome post(String channel, String text, String blocks) {
    return call(m -> m.chatPostMessage(r -> r.channel(channel).text(text).blocksAsString(blocks).unfurlLinks(false)));
  }

  Outcome update(String channelId, String ts, String text, String blocks) {
    return call(m -> m.chatUpdate(r -> r.channel(channelId).ts(ts).text(text).blocksAsString(blocks)));
  }

  Outcome reply(String channelId, String ts, String text) {
    return call(m -> m.chatPostMessage(r -> r.channel(channelId).threadTs(ts).text(text)));
  }

  Outcome webhook(Route route, String text, String blocks) {
    URI url = webhooks.get(route);
    if (url == null) return new Outcome.Rejected("no webhook URL for " + route);
    try {
      JsonObject payload = new JsonObject();
      payload.addProperty("text", text);
      payload.add("blocks", JsonParser.parseString(blocks));
      WebhookResponse r = slack.send(url.toString(), payload.toString());
      int code = r.getCode();
      if (code == 200) return new Outcome.Sent(null, null);
      String body = r.getBody() == null ? "" : r.getBody().trim();
      if (code == 429) return new Outcome.RetryAfter(retryAfter(header(r.getHeaders(), "Retry-After")), "webhook answered 429");
      if (code >= 500) return new Outcome.Failed("webhook answered " + code);
      if (code == 400 && MESSAGE_REFUSED.contains(body)) return new Outcome.Permanent("the webhook refused the message: " + body, false);
      if (CONFIGURATION_ERRORS.contains(body) || code == 403 || code == 404 || code == 410) {
        return new Outcome.Rejected("the webhook was refused: " + code + " " + body);
      }
      return new Outcome.Failed("webhook answered " + code + " " + body);
    } catch (IOException e) {
      return new Outcome.Failed("webhook unreachable: " + e.getMessage());
    }
  }

  private interface Call {
    SlackApiTextResponse apply(MethodsClient m) throws IOException, SlackApiException;
  }

  private Outcome call(Call call) {
    if (methods.isEmpty()) return new Outcome.Rejected("no bot token");
    try {
      SlackApiTextResponse r = call.apply(methods.get());
      if (r.isOk()) {
        if (r instanceof com.slack.api.methods.response.chat.ChatPostMessageResponse p) return new Outcome.Sent(p.getChannel(), p.getTs());
        return new Outcome.Sent(null, null);
      }
      if ("ratelimited".equals(r.getError())) return new Outcome.RetryAfter(DEFAULT_RETRY_AFTER, "ratelimited");
      if (CONFIGURATION_ERRORS.contains(r.getError())) return new Outcome.Rejected("Slack refused the call: " + r.getError());
      if (MESSAGE_GONE.contains(r.getError())) return new Outcome.Permanent("Slack answered " + r.getError(), true);
      if (MESSAGE_REFUSED.contains(r.getError())) return new Outcome.Permanent("Slack answered " + r.getError(), false);
      return new Outcome.Failed("Slack answered " + r.getError());
    } catch (SlackApiException e) {
      int code = e.getResponse().code();
      if (code == 429) return new Outcome.RetryAfter(retryAfter(Optional.ofNullable(e.getResponse().header("Retry-After"))), "429");
      return new Outcome.Failed("Slack answered HTTP " + code);
    } catch (IOException e) {
      return new Outcome.Failed("Slack unreachable: " + e.getMessage());
    } catch (RuntimeException e) {
      return new Outcome.Failed("Slack call failed: " + e.getMessage());
    }
  }

  private static Optional<String> header(Map<String, List<String>> headers, String name) {
    if (headers == null) return Optional.empty();
    return headers.entrySet().stream().filter(e -> e.getKey() != null && e.getKey().equalsIgnoreCase(name))
        .flatMap(e -> e.getValue().stream()).findFirst();
  }

  private static Duration retryAfter(Optional<String> header) {
    try {
      return header.map(String::trim).map(Long::parseLong).filter(s -> s >= 0).map(Duration::ofSeconds).orElse(DEFAULT_RETRY_AFTER);
    } catch (NumberFormatException e) {
      return DEFAULT_RETRY_AFTER;
    }
  }

  @Override public void close() {
    try {
      slack.close();
    } catch (Exception e) {
      // nothing held that outlives the process
    }
  }
}
