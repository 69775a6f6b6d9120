package dev.dragonfly.sentinel.alert;

import java.time.Duration;

/** What a destination said to one send. */
sealed interface Outcome {
  /** Taken. A Slack post answers where it landed ({@code channel}, {@code ts}), for its later updates. */
  record Sent(String channelId, String ts) implements Outcome {}

  /** 429: try again after {@code delay} (its Retry-After). */
  record RetryAfter(Duration delay, String error) implements Outcome {}

  /** A 5xx, a timeout, a refused connection: retried on later passes with backoff. */
  record Failed(String error) implements Outcome {}

  /** The destination refused our credentials or target (invalid_auth, channel_not_found): an operator must fix it. */
  record Rejected(String error) implements Outcome {}

  /**
   * The destination refused this one message and will refuse it again however often it is sent
   * ({@code msg_too_long}, {@code invalid_blocks}): it is parked, the messages behind it go on.
   * {@code messageGone}: an update or reply whose Slack message was deleted or can no longer be
   * edited ({@code message_not_found}, {@code cant_update_message}); the message is posted anew.
   */
  record Permanent(String error, boolean messageGone) implements Outcome {}
}
