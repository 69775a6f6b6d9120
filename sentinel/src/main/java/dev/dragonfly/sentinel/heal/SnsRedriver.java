package dev.dragonfly.sentinel.heal;

import dev.dragonfly.intake.Batch;
import dev.dragonfly.intake.Json;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.MessageAttributeValue;

/**
 * The Lambda path: publishes {@code {"type": "redrive", "batch_id": N}} with the attribute
 * {@code event_type=redrive} to the events topic, which the ingest function subscribes to.
 */
public final class SnsRedriver implements Redriver {
  private final SnsClient sns;
  private final String topicArn;

  public SnsRedriver(SnsClient sns, String topicArn) {
    this.sns = sns;
    this.topicArn = topicArn;
  }

  @Override public String describe() {
    return "events topic";
  }

  @Override public Optional<String> cannotRedrive(Batch batch) {
    return Optional.empty(); // the function reads any object of its bucket
  }

  @Override public void redrive(Batch batch) {
    sns.publish(b -> b.topicArn(topicArn)
        .subject("redrive")
        .message(Json.write(Map.of("type", "redrive", "batch_id", batch.id())))
        .messageAttributes(Map.of("event_type",
            MessageAttributeValue.builder().dataType("String").stringValue("redrive").build())));
  }
}
