package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.dragonfly.functions.FunctionConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** template.yaml agrees with the code: handlers exist, environment variables are read, IAM is narrow. */
class TemplateTest {
  private static final JsonNode TEMPLATE = load();

  private static JsonNode load() {
    try {
      return new ObjectMapper(new YAMLFactory()).readTree(Path.of("..", "template.yaml").toFile());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Each function's config record, fed a map that remembers which names it asked for. */
  private static final Map<String, Consumer<Map<String, String>>> CONFIG_OF = Map.of(
      "IngestFunction", FunctionConfig::fromEnv,
      "SentinelFunction", SentinelConfig::fromEnv);

  private static final TemplateValues VALUES = new TemplateValues(TEMPLATE);

  private static Map<String, JsonNode> resourcesOfType(String type) {
    Map<String, JsonNode> resources = new HashMap<>();
    TEMPLATE.path("Resources").fields().forEachRemaining(e -> {
      if (e.getValue().path("Type").asText().equals(type)) resources.put(e.getKey(), e.getValue());
    });
    return resources;
  }

  private static Map<String, JsonNode> functions() {
    return resourcesOfType("AWS::Serverless::Function");
  }

  /** Read by the JVM itself, not by our code. */
  private static final Set<String> JVM_VARIABLES = Set.of("JAVA_TOOL_OPTIONS");

  private static Set<String> variables(JsonNode function) {
    Set<String> names = new LinkedHashSet<>();
    function.path("Properties").path("Environment").path("Variables").fieldNames().forEachRemaining(names::add);
    TEMPLATE.path("Globals").path("Function").path("Environment").path("Variables").fieldNames().forEachRemaining(names::add);
    names.removeAll(JVM_VARIABLES);
    return names;
  }

  /** A value that parses for every variable the templates sets. */
  private static Map<String, String> sampleEnv(Set<String> names) {
    Map<String, String> env = new HashMap<>();
    for (String n : names) {
      env.put(n, switch (n) {
        case "INTAKE_HEARTBEAT_INTERVAL" -> "PT10S";
        case "INTAKE_STALE_AFTER" -> "PT45S";
        case "INTAKE_CHUNK_ROWS" -> "4096";
        case "INTAKE_TRANSIENT_RETRIES" -> "3";
        case "SENTINEL_INTERVAL" -> "PT1M";
        case "SENTINEL_ALERT_SEND_TIME_LIMIT" -> "PT10S";
        case "RUNBOOK_BASE_URL" -> "https://runbooks.example.com/dragonfly";
        default -> "sample-" + n.toLowerCase();
      });
    }
    return env;
  }

  @Test
  void everyHandlerClassExistsAndImplementsALambdaHandler() throws Exception {
    assertThat(functions()).containsOnlyKeys(CONFIG_OF.keySet());
    for (var f : functions().entrySet()) {
      String handler = f.getValue().path("Properties").path("Handler").asText();
      assertThat(handler).as(f.getKey()).endsWith("::handleRequest");
      Class<?> type = Class.forName(handler.substring(0, handler.indexOf("::")));
      assertThat(RequestStreamHandler.class.isAssignableFrom(type) || RequestHandler.class.isAssignableFrom(type))
          .as(f.getKey() + " " + type.getName() + " implements a Lambda handler interface").isTrue();
      assertThat(type.getConstructor()).as(f.getKey() + " has the runtime's no-arg constructor").isNotNull();
    }
  }

  @Test
  void everyVariableInTheTemplateIsReadByTheFunctionsConfigRecord() {
    for (var f : functions().entrySet()) {
      Set<String> inTemplate = variables(f.getValue());
      Set<String> read = new LinkedHashSet<>();
      Map<String, String> env = sampleEnv(inTemplate);
      CONFIG_OF.get(f.getKey()).accept(new HashMap<>(env) {
        @Override public String get(Object key) {
          read.add((String) key);
          return super.get(key);
        }
      });
      assertThat(read).as(f.getKey() + " reads every variable the template sets").containsAll(inTemplate);
    }
  }

  @Test
  void everyRequiredVariableIsSetInTheTemplate() {
    for (var f : functions().entrySet()) {
      Set<String> inTemplate = variables(f.getValue());
      Map<String, String> env = sampleEnv(inTemplate);
      CONFIG_OF.get(f.getKey()).accept(env); // the template's set is enough
      for (String name : inTemplate) {
        Map<String, String> without = new HashMap<>(env);
        without.remove(name);
        try {
          CONFIG_OF.get(f.getKey()).accept(without);
        } catch (IllegalArgumentException required) {
          assertThat(required.getMessage()).as(f.getKey() + " without " + name).contains(name);
        }
      }
    }
    assertThatThrownBy(() -> FunctionConfig.fromEnv(Map.of("DATABASE_SECRET_ARN", "x", "EVENTS_TOPIC_ARN", "y")))
        .hasMessage("INTAKE_BUCKET is not set");
  }

  /** A policy's statements, a conditional one ({@code Fn::If}) as the statement it adds when its condition holds. */
  private static List<JsonNode> statements(JsonNode policy) {
    List<JsonNode> statements = new ArrayList<>();
    for (JsonNode s : policy.path("Statement")) statements.add(s.has("Fn::If") ? s.path("Fn::If").get(1) : s);
    return statements;
  }

  /** The statements of every policy document a function's {@code Policies} writes. */
  private static List<JsonNode> statementsOf(String function) {
    List<JsonNode> statements = new ArrayList<>();
    for (JsonNode policy : functions().get(function).path("Properties").path("Policies")) statements.addAll(statements(policy));
    return statements;
  }

  private static Map<String, JsonNode> statementsBySid(String function) {
    Map<String, JsonNode> bySid = new HashMap<>();
    for (JsonNode s : statementsOf(function)) bySid.put(s.path("Sid").asText(), s);
    return bySid;
  }

  /**
   * The AWS managed policies README ("Deploying") names as the only grants on {@code *}: Lambda's
   * network interfaces (CreateNetworkInterface and DescribeNetworkInterfaces take no narrower resource).
   */
  private static final Set<String> ACCEPTED_MANAGED_POLICIES = Set.of("AWSLambdaVPCAccessExecutionRole");

  /** Where a statement grants an action or a resource with a wildcard, or grants by exclusion. */
  private static void wildcards(String where, JsonNode statement, List<String> problems) {
    if (statement.has("NotAction") || statement.has("NotResource")) problems.add(where + " grants by NotAction/NotResource");
    for (JsonNode a : TemplateValues.items(statement.path("Action"))) {
      if (a.asText().contains("*")) problems.add(where + " action " + a.asText());
    }
    if (statement.path("Resource").isMissingNode()) problems.add(where + " has no resource");
    for (JsonNode r : TemplateValues.items(statement.path("Resource"))) {
      if (r.isTextual() && r.asText().equals("*")) problems.add(where + " resource *");
    }
  }

  @Test
  void noRoleStatementGrantsEverythingAndNoPolicyTemplateHidesOne() {
    List<String> problems = new ArrayList<>();
    for (var f : functions().entrySet()) {
      for (JsonNode policy : f.getValue().path("Properties").path("Policies")) {
        if (policy.isTextual()) {
          if (!ACCEPTED_MANAGED_POLICIES.contains(policy.asText())) problems.add(f.getKey() + " managed policy " + policy.asText());
        } else if (!policy.has("Statement")) {
          // a SAM policy template (VPCAccessPolicy, ...) or an ARN built by an intrinsic: its statements are not here
          problems.add(f.getKey() + " policy " + policy.fieldNames().next() + " expands to statements this template does not show");
        } else {
          for (JsonNode statement : statements(policy)) wildcards(f.getKey() + "/" + statement.path("Sid").asText("?"), statement, problems);
        }
      }
    }
    TEMPLATE.path("Resources").fields().forEachRemaining(r -> {
      if (!r.getValue().path("Type").asText().startsWith("AWS::IAM::")) return;
      JsonNode properties = r.getValue().path("Properties");
      List<JsonNode> documents = new ArrayList<>(List.of(properties.path("PolicyDocument")));
      properties.path("Policies").forEach(p -> documents.add(p.path("PolicyDocument")));
      for (JsonNode d : documents) for (JsonNode statement : statements(d)) wildcards(r.getKey(), statement, problems);
      if (properties.has("ManagedPolicyArns")) problems.add(r.getKey() + " ManagedPolicyArns " + properties.path("ManagedPolicyArns"));
    });
    assertThat(problems).isEmpty();
  }

  @Test
  void ingestFunctionReadsOnlyIncomingWritesOnlyResultsAndPublishesOnlyToItsTopic() {
    Map<String, JsonNode> bySid = statementsBySid("IngestFunction");
    assertThat(bySid.get("ReadUploads").path("Resource").toString()).contains("/incoming/*");
    assertThat(bySid.get("WriteResults").path("Resource").toString()).contains("/results/*");
    assertThat(bySid.get("WriteResults").path("Action").asText()).as("nothing reads results/ back").isEqualTo("s3:PutObject");
    assertThat(bySid.get("TellMissingFromForbidden").path("Condition").toString()).contains("incoming/*").doesNotContain("results/");
    assertThat(bySid.get("PublishOwnEvents").path("Resource").toString()).contains("EventsTopic");
  }

  @Test
  void snapStartAndTheJavaRuntimeAreSet() {
    JsonNode ingest = functions().get("IngestFunction").path("Properties");
    assertThat(ingest.path("SnapStart").path("ApplyOn").asText()).isEqualTo("PublishedVersions");
    assertThat(TEMPLATE.path("Globals").path("Function").path("Runtime").asText()).startsWith("java");
  }

  @Test
  void timingLetsLambdasFirstRetryTakeOverADeadWorkersBatchAndFailedEventsLandInTheDeadLetterQueue() {
    JsonNode ingest = functions().get("IngestFunction").path("Properties");
    Map<String, String> env = new HashMap<>();
    ingest.path("Environment").path("Variables").fields()
        .forEachRemaining(e -> env.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : "x"));
    var intake = dev.dragonfly.intake.IntakeConfig.fromEnv(env);
    // Lambda waits about a minute before its first retry: by then a dead worker's claim must be stale
    assertThat(intake.staleAfter()).isLessThan(java.time.Duration.ofMinutes(1));
    assertThat(intake.idleInTransactionTimeout()).isLessThan(intake.staleAfter());
    assertThat(intake.staleAfter()).isGreaterThanOrEqualTo(intake.heartbeatInterval().multipliedBy(3));
    JsonNode invoke = ingest.path("EventInvokeConfig");
    assertThat(invoke.path("MaximumRetryAttempts").asInt()).isEqualTo(2);
    assertThat(invoke.path("DestinationConfig").path("OnFailure").path("Destination").toString())
        .contains("IngestDeadLetters");
    assertThat(TEMPLATE.path("Resources").path("IngestDeadLetters").path("Type").asText()).isEqualTo("AWS::SQS::Queue");
  }

  @Test
  void theSentinelPassesOnTheIntervalItIsConfiguredWithAndReDrivesThroughTheEventsTopicOnly() {
    JsonNode sentinel = functions().get("SentinelFunction").path("Properties");
    Map<String, String> env = new HashMap<>();
    sentinel.path("Environment").path("Variables").fields().forEachRemaining(e -> env.put(e.getKey(),
        e.getValue().isTextual() ? e.getValue().asText() : sampleEnv(Set.of(e.getKey())).get(e.getKey())));
    SentinelConfig config = SentinelConfig.fromEnv(env);
    String schedule = sentinel.path("Events").path("EveryMinute").path("Properties").path("Schedule").asText();
    assertThat(schedule).isEqualTo("rate(1 minute)");
    assertThat(config.interval()).isEqualTo(java.time.Duration.ofMinutes(1));
    assertThat(config.intake().staleAfter()).isEqualTo(dev.dragonfly.intake.IntakeConfig.fromEnv(Map.of(
        "INTAKE_STALE_AFTER", functions().get("IngestFunction").path("Properties").path("Environment").path("Variables")
            .path("INTAKE_STALE_AFTER").asText())).staleAfter());
    assertThat(sentinel.path("EventInvokeConfig").path("MaximumRetryAttempts").asInt()).isZero();
    Map<String, JsonNode> bySid = statementsBySid("SentinelFunction");
    assertThat(bySid.get("PublishRedrives").path("Resource").toString()).contains("EventsTopic").doesNotContain("AlertsTopic");
    assertThat(bySid.get("HeadUploads").path("Resource").toString()).contains("/incoming/*");
    assertThat(bySid.get("HeadUploads").path("Action").asText()).as("a HEAD of the current version").isEqualTo("s3:GetObject");
  }

  @Test
  void theSentinelAlertsThroughTheAlertsTopicAndReadsItsSlackTokenFromSecretsManager() {
    JsonNode sentinel = functions().get("SentinelFunction").path("Properties");
    JsonNode variables = sentinel.path("Environment").path("Variables");
    assertThat(variables.path("ALERTS_TOPIC_ARN").toString()).contains("AlertsTopic");
    assertThat(variables.has("SLACK_BOT_TOKEN")).as("the token is never a plain environment value").isFalse();
    assertThat(variables.path("SLACK_BOT_TOKEN_SECRET_ARN").toString()).contains("SlackBotTokenSecretArn");
    Map<String, JsonNode> bySid = statementsBySid("SentinelFunction");
    assertThat(bySid.get("PublishAlerts").path("Resource").toString()).contains("AlertsTopic").doesNotContain("EventsTopic");
    assertThat(bySid.get("ReadSlackToken").path("Resource").toString()).contains("SlackBotTokenSecretArn");
    assertThat(sentinel.path("Policies").toString()).contains("HasSlackToken");
  }

  /** Whether a policy's resource (an ARN, a trailing {@code *} at most) covers an ARN. */
  private static boolean covers(String resource, String arn) {
    return resource.endsWith("*") ? arn.startsWith(resource.substring(0, resource.length() - 1)) : resource.equals(arn);
  }

  /** The statements of the bucket policies attached to a bucket. */
  private static List<JsonNode> bucketPolicyStatements(String bucket) {
    List<JsonNode> statements = new ArrayList<>();
    for (JsonNode policy : resourcesOfType("AWS::S3::BucketPolicy").values()) {
      JsonNode properties = policy.path("Properties");
      if (properties.path("Bucket").path("Ref").asText().equals(bucket)) statements.addAll(statements(properties.path("PolicyDocument")));
    }
    return statements;
  }

  private static boolean coversEveryone(JsonNode principal) {
    return principal.asText().equals("*") || principal.path("AWS").asText().equals("*");
  }

  @Test
  void everyBucketDeniesRequestsWithoutTlsToItselfAndItsObjects() {
    List<String> problems = new ArrayList<>();
    for (String bucket : resourcesOfType("AWS::S3::Bucket").keySet()) {
      String arn = VALUES.arn(bucket);
      List<JsonNode> denials = bucketPolicyStatements(bucket).stream()
          .filter(s -> s.path("Effect").asText().equals("Deny") && coversEveryone(s.path("Principal")))
          .filter(s -> TemplateValues.items(s.path("Action")).stream().anyMatch(a -> a.asText().equals("s3:*") || a.asText().equals("*")))
          .filter(s -> s.path("Condition").path("Bool").path("aws:SecureTransport").asText().equals("false"))
          .toList();
      for (String target : List.of(arn, arn + "/incoming/acme/judgments.csv", arn + "/results/acme/judgments.1.summary.json")) {
        boolean denied = denials.stream().anyMatch(s -> TemplateValues.items(s.path("Resource")).stream()
            .anyMatch(r -> covers(VALUES.text(r), target)));
        if (!denied) problems.add(bucket + " answers requests without TLS for " + target);
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void theIntakeBucketLogsEveryRequestToALogBucketThatExpiresThem() {
    JsonNode logging = TEMPLATE.path("Resources").path("IntakeBucket").path("Properties").path("LoggingConfiguration");
    String logs = logging.path("DestinationBucketName").path("Ref").asText();
    assertThat(resourcesOfType("AWS::S3::Bucket")).as("the bucket IntakeBucket logs to").containsKey(logs);
    assertThat(logs).isNotEqualTo("IntakeBucket");
    String delivered = VALUES.arn(logs) + "/" + logging.path("LogFilePrefix").asText() + "2026-12-04-10-00-00-ABCDEF";
    assertThat(bucketPolicyStatements(logs)).as("the S3 logging service may deliver into " + logs).anyMatch(s ->
        s.path("Effect").asText().equals("Allow")
            && s.path("Principal").path("Service").asText().equals("logging.s3.amazonaws.com")
            && s.path("Action").asText().equals("s3:PutObject")
            && VALUES.text(s.path("Condition").path("ArnLike").path("aws:SourceArn")).equals(VALUES.arn("IntakeBucket"))
            && covers(VALUES.text(s.path("Resource")), delivered));
    JsonNode rules = TEMPLATE.path("Resources").path(logs).path("Properties").path("LifecycleConfiguration").path("Rules");
    assertThat(rules).as("access logs expire").anyMatch(r -> r.path("Status").asText().equals("Enabled")
        && !r.has("Prefix") && VALUES.number(r.path("ExpirationInDays")) > 0);
  }

  /** The intake bucket's enabled lifecycle rules that apply to every object under a key (no filter but a prefix of it). */
  private static List<JsonNode> lifecycleRulesFor(String key) {
    List<JsonNode> rules = new ArrayList<>();
    JsonNode all = TEMPLATE.path("Resources").path("IntakeBucket").path("Properties").path("LifecycleConfiguration").path("Rules");
    for (JsonNode r : all) {
      boolean forSomeObjectsOnly = r.has("TagFilters") || r.has("ObjectSizeGreaterThan") || r.has("ObjectSizeLessThan");
      if (r.path("Status").asText().equals("Enabled") && !forSomeObjectsOnly && key.startsWith(r.path("Prefix").asText(""))) rules.add(r);
    }
    return rules;
  }

  @Test
  void replacedVersionsExpireAfterTheConfiguredDaysIncompleteUploadsAreAbortedAndCurrentVersionsAreKept() {
    for (String key : List.of("incoming/acme/judgments.csv", "results/acme/judgments.1.summary.json")) {
      List<JsonNode> rules = lifecycleRulesFor(key);
      assertThat(rules).as("a rule expires " + key + "'s noncurrent versions after a parameter's days").anyMatch(r -> {
        JsonNode days = r.path("NoncurrentVersionExpiration").path("NoncurrentDays");
        return TEMPLATE.path("Parameters").has(days.path("Ref").asText()) && VALUES.number(days) > 0;
      });
      assertThat(rules).as("README: the current version of " + key + " is kept")
          .noneMatch(r -> r.has("ExpirationInDays") || r.has("ExpirationDate"));
    }
    assertThat(lifecycleRulesFor("incoming/acme/judgments.csv")).as("incomplete multipart uploads to incoming/ are aborted")
        .anyMatch(r -> r.path("AbortIncompleteMultipartUpload").path("DaysAfterInitiation").asInt() > 0);
  }

  @Test
  void everyFunctionLogsToALogGroupOfItsNameWithARetentionCreatedBeforeIt() {
    Map<String, String> groupByName = new HashMap<>();
    resourcesOfType("AWS::Logs::LogGroup").forEach((id, group) -> groupByName.put(VALUES.text(group.path("Properties").path("LogGroupName")), id));
    for (var f : functions().entrySet()) {
      JsonNode name = f.getValue().path("Properties").path("FunctionName");
      assertThat(name.isMissingNode()).as(f.getKey() + " is named, so that its log group can be").isFalse();
      String group = groupByName.get("/aws/lambda/" + VALUES.text(name));
      assertThat(group).as("the log group of " + f.getKey() + " in " + groupByName.keySet()).isNotNull();
      JsonNode retention = TEMPLATE.path("Resources").path(group).path("Properties").path("RetentionInDays");
      assertThat(TEMPLATE.path("Parameters").has(retention.path("Ref").asText()) && VALUES.number(retention) > 0)
          .as(group + " keeps logs for a parameter's days: " + retention).isTrue();
      assertThat(TemplateValues.items(f.getValue().path("DependsOn"))).as(f.getKey() + " waits for its log group")
          .anyMatch(d -> d.asText().equals(group));
    }
  }

  /** Where an AWS service (not a role) publishes to a topic: alarm actions, bucket notifications, EventBridge targets. */
  private static List<JsonNode> servicePublishTargets(JsonNode resource) {
    JsonNode p = resource.path("Properties");
    List<JsonNode> targets = new ArrayList<>();
    switch (resource.path("Type").asText()) {
      case "AWS::CloudWatch::Alarm" -> {
        for (String actions : List.of("AlarmActions", "OKActions", "InsufficientDataActions")) targets.addAll(TemplateValues.items(p.path(actions)));
      }
      case "AWS::S3::Bucket" -> p.path("NotificationConfiguration").path("TopicConfigurations").forEach(c -> targets.add(c.path("Topic")));
      case "AWS::Events::Rule" -> p.path("Targets").forEach(t -> targets.add(t.path("Arn")));
      default -> { }
    }
    return targets;
  }

  @Test
  void everyTopicIsEncryptedAndNoServiceThatCannotUseTheManagedKeyPublishesToOneUnderIt() {
    Set<String> underManagedKey = new LinkedHashSet<>();
    resourcesOfType("AWS::SNS::Topic").forEach((id, topic) -> {
      String key = topic.path("Properties").path("KmsMasterKeyId").asText();
      assertThat(key).as(id + " is encrypted").isNotEmpty();
      if (key.equals("alias/aws/sns")) underManagedKey.add(id);
    });
    List<String> problems = new ArrayList<>();
    TEMPLATE.path("Resources").fields().forEachRemaining(r -> {
      for (JsonNode target : servicePublishTargets(r.getValue())) {
        if (underManagedKey.contains(target.path("Ref").asText())) problems.add(r.getKey() + " publishes to " + target.path("Ref").asText());
      }
    });
    assertThat(problems).as("an AWS service cannot publish to a topic under SNS's AWS managed key").isEmpty();
  }
}
