package dev.dragonfly.functions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns an invocation's JSON into work: S3 notifications delivered directly, wrapped in SNS,
 * wrapped in SQS, or SQS carrying an SNS envelope; several records per event; and re-drive
 * messages ({@code {"type": "redrive", "batch_id": 42}}) over SNS or SQS. S3 test events and
 * non-ObjectCreated records are skipped.
 */
public final class EventParser {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The event could not be understood: a deployment mistake that a retry cannot fix. */
  public static final class UnreadableEvent extends RuntimeException {
    UnreadableEvent(String message) {
      super(message, null, false, false);
    }
  }

  public List<Work> parse(String json) {
    List<Work> work = new ArrayList<>();
    collect(read(json), work);
    return work;
  }

  private static JsonNode read(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new UnreadableEvent("event is not JSON at line " + e.getLocation().getLineNr());
    }
  }

  private void collect(JsonNode node, List<Work> work) {
    if (node.has("type") && "redrive".equals(node.path("type").asText())) {
      if (!node.path("batch_id").canConvertToLong()) throw new UnreadableEvent("redrive message without a batch_id");
      work.add(new Work.Redrive(node.path("batch_id").asLong()));
      return;
    }
    if (node.has("event_type") && node.has("batch")) return; // our own batch event, e.g. a subscription without its filter
    if (node.has("Type") && node.has("Message")) { // an SNS envelope delivered through SQS
      collect(read(node.path("Message").asText()), work);
      return;
    }
    if (node.has("Event") && "s3:TestEvent".equals(node.path("Event").asText())) return;
    JsonNode records = node.path("Records");
    if (!records.isArray()) throw new UnreadableEvent("event has no Records");
    for (JsonNode record : records) {
      String source = record.has("eventSource") ? record.path("eventSource").asText() : record.path("EventSource").asText();
      switch (source) {
        case "aws:s3" -> objectCreated(record).ifPresent(work::add);
        case "aws:sns" -> collect(read(record.path("Sns").path("Message").asText()), work);
        case "aws:sqs" -> collect(read(record.path("body").asText()), work);
        default -> throw new UnreadableEvent("record from an unexpected source: " + source);
      }
    }
  }

  private static Optional<Work> objectCreated(JsonNode record) {
    if (!record.path("eventName").asText().startsWith("ObjectCreated:")) return Optional.empty();
    JsonNode s3 = record.path("s3");
    JsonNode object = s3.path("object");
    String rawKey = object.path("key").asText(null);
    String bucket = s3.path("bucket").path("name").asText(null);
    if (rawKey == null || bucket == null) throw new UnreadableEvent("S3 record without bucket or key");
    return Optional.of(new Work.ObjectCreated(new S3ObjectEvent(bucket,
        URLDecoder.decode(rawKey, StandardCharsets.UTF_8), object.path("size").asLong(-1),
        object.path("eTag").asText(null), object.path("versionId").asText(null))));
  }
}
