package dev.dragonfly.sentinel.alert;

import java.util.Map;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.MessageAttributeValue;
import software.amazon.awssdk.services.sns.model.SnsException;

/**
 * CRITICAL alerts (and their resolution) to the alerts topic, for paging and SMS subscriptions,
 * with message attributes {@code severity}, {@code check} and {@code kind} to filter on.
 */
final class SnsSender {
  private final SnsClient sns;
  private final String topicArn;

  SnsSender(SnsClient sns, String topicArn) {
    this.sns = sns;
    this.topicArn = topicArn;
  }

  Outcome publish(String subject, String message, String severity, String check, String kind) {
    try {
      sns.publish(b -> b.topicArn(topicArn).subject(subject).message(message).messageAttributes(Map.of(
          "severity", text(severity), "check", text(check), "kind", text(kind))));
      return new Outcome.Sent(null, null);
    } catch (SnsException e) {
      int status = e.statusCode();
      String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
      if (status == 403 || "NotFound".equals(code) || "AuthorizationError".equals(code)) {
        return new Outcome.Rejected("SNS refused the publish to the alerts topic: " + code);
      }
      if ("InvalidParameter".equals(code) || "InvalidParameterValue".equals(code)) {
        return new Outcome.Permanent("SNS refused the message: " + code, false); // too long, or an attribute it will never take
      }
      return new Outcome.Failed("SNS answered " + status + " " + code);
    } catch (SdkClientException e) {
      return new Outcome.Failed("SNS unreachable: " + e.getMessage());
    }
  }

  private static MessageAttributeValue text(String value) {
    return MessageAttributeValue.builder().dataType("String").stringValue(value).build();
  }
}
