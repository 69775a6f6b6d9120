package dev.dragonfly.functions;

import dev.dragonfly.intake.IntakeResult;
import dev.dragonfly.intake.Json;
import java.util.Map;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.MessageAttributeValue;

/**
 * Publishes one SNS message per batch outcome: the summary as the body, and message attributes
 * {@code event_type}, {@code source} and {@code status} that subscriptions filter on.
 */
public final class EventPublisher {
  public static final String COMPLETED = "batch.completed";
  public static final String REJECTED = "batch.rejected";
  public static final String DUPLICATE = "batch.duplicate";
  public static final String FAILED = "batch.failed";

  private final SnsClient sns;
  private final String topicArn;

  public EventPublisher(SnsClient sns, String topicArn) {
    this.sns = sns;
    this.topicArn = topicArn;
  }

  public void publish(String eventType, IntakeResult result) {
    sns.publish(b -> b.topicArn(topicArn)
        .subject(eventType)
        .message(Json.write(Map.of("event_type", eventType, "batch", result)))
        .messageAttributes(Map.of(
            "event_type", text(eventType),
            "source", text(result.source()),
            "status", text(result.status()))));
  }

  private static MessageAttributeValue text(String value) {
    return MessageAttributeValue.builder().dataType("String").stringValue(value).build();
  }
}
