package dev.dragonfly.sentinel.alert;

/**
 * A destination of alerts, named as it is stored with an incident and in the outbox:
 * {@code slack:#alerts} (a channel, with the bot token), {@code webhook:alerts} and
 * {@code webhook:warnings} (incoming webhooks), {@code sns} (the alerts topic).
 */
record Route(String key) {
  static final Route SNS = new Route("sns");
  static final Route WEBHOOK_ALERTS = new Route("webhook:alerts");
  static final Route WEBHOOK_WARNINGS = new Route("webhook:warnings");

  static Route channel(String channel) {
    return new Route("slack:" + channel);
  }

  boolean isChannel() {
    return key.startsWith("slack:");
  }

  boolean isWebhook() {
    return key.startsWith("webhook:");
  }

  boolean isSlack() {
    return isChannel() || isWebhook();
  }

  /** The channel as configured ({@code #alerts} or an id), for a channel route. */
  String channel() {
    return key.substring("slack:".length());
  }

  @Override public String toString() {
    return key;
  }
}
