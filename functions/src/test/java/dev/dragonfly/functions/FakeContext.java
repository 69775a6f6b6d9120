package dev.dragonfly.functions;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;

/** The parts of a Lambda context the handler reads: the request id. */
record FakeContext(String requestId) implements Context {
  @Override public String getAwsRequestId() {
    return requestId;
  }

  @Override public String getLogGroupName() {
    return "/aws/lambda/intake-test";
  }

  @Override public String getLogStreamName() {
    return "local";
  }

  @Override public String getFunctionName() {
    return "intake-test";
  }

  @Override public String getFunctionVersion() {
    return "$LATEST";
  }

  @Override public String getInvokedFunctionArn() {
    return "arn:aws:lambda:us-east-1:123456789012:function:intake-test";
  }

  @Override public CognitoIdentity getIdentity() {
    return null;
  }

  @Override public ClientContext getClientContext() {
    return null;
  }

  @Override public int getRemainingTimeInMillis() {
    return 900_000;
  }

  @Override public int getMemoryLimitInMB() {
    return 1024;
  }

  @Override public LambdaLogger getLogger() {
    return null;
  }
}
