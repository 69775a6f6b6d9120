package dev.dragonfly.sentinel;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Evaluates the intrinsics template.yaml uses ({@code Ref}, {@code Fn::Sub}, {@code Fn::GetAtt …
 * Arn}) as a deployment would: stack {@value #STACK} in account {@value #ACCOUNT}, every parameter
 * at its default, so that tests compare names and ARNs however the template spells them.
 */
final class TemplateValues {
  static final String STACK = "stack";
  static final String ACCOUNT = "123456789012";
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]+)}");

  private final JsonNode template;

  TemplateValues(JsonNode template) {
    this.template = template;
  }

  /** A value's text: a literal as it is, an intrinsic evaluated. */
  String text(JsonNode node) {
    if (node.isValueNode()) return node.asText();
    if (node.has("Ref")) return ref(node.path("Ref").asText());
    if (node.has("Fn::Sub")) return sub(node.path("Fn::Sub").asText());
    if (node.has("Fn::GetAtt")) return arn(node.path("Fn::GetAtt").get(0).asText(), node.path("Fn::GetAtt").get(1).asText());
    throw new IllegalArgumentException("cannot evaluate " + node);
  }

  int number(JsonNode node) {
    return Integer.parseInt(text(node));
  }

  /** A value that is one item or a list, as a list. */
  static List<JsonNode> items(JsonNode node) {
    List<JsonNode> items = new ArrayList<>();
    if (node.isArray()) node.forEach(items::add);
    else if (!node.isMissingNode()) items.add(node);
    return items;
  }

  /** The ARN of a bucket or a log group of the template. */
  String arn(String logicalId) {
    return arn(logicalId, "Arn");
  }

  private String arn(String logicalId, String attribute) {
    if (!attribute.equals("Arn")) throw new IllegalArgumentException("GetAtt " + logicalId + "." + attribute);
    return switch (resource(logicalId).path("Type").asText()) {
      case "AWS::S3::Bucket" -> "arn:aws:s3:::" + ref(logicalId);
      case "AWS::Logs::LogGroup" -> "arn:aws:logs:us-east-1:" + ACCOUNT + ":log-group:" + ref(logicalId) + ":*";
      default -> throw new IllegalArgumentException("no ARN for " + logicalId);
    };
  }

  private String ref(String name) {
    switch (name) {
      case "AWS::Partition": return "aws";
      case "AWS::StackName": return STACK;
      case "AWS::AccountId": return ACCOUNT;
      case "AWS::Region": return "us-east-1";
      default: break;
    }
    JsonNode parameter = template.path("Parameters").path(name);
    if (!parameter.isMissingNode()) {
      if (!parameter.has("Default")) throw new IllegalArgumentException("parameter " + name + " has no default");
      return parameter.path("Default").asText();
    }
    // what Ref gives for a bucket, a function or a log group: its name, else a stand-in for a generated one
    JsonNode properties = resource(name).path("Properties");
    for (String property : List.of("BucketName", "FunctionName", "LogGroupName")) {
      if (properties.has(property)) return text(properties.path(property));
    }
    return (STACK + "-" + name + "-generated").toLowerCase();
  }

  private String sub(String format) {
    Matcher m = VARIABLE.matcher(format);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String variable = m.group(1);
      int dot = variable.indexOf('.');
      String value = dot < 0 ? ref(variable) : arn(variable.substring(0, dot), variable.substring(dot + 1));
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    return m.appendTail(out).toString();
  }

  private JsonNode resource(String logicalId) {
    JsonNode resource = template.path("Resources").path(logicalId);
    if (resource.isMissingNode()) throw new IllegalArgumentException("no resource " + logicalId);
    return resource;
  }
}
