package dev.dragonfly.functions;

/** One unit of work found in an invocation's event. */
public sealed interface Work {
  /** An object arrived (S3 ObjectCreated, possibly wrapped in SNS or SQS). */
  record ObjectCreated(S3ObjectEvent event) implements Work {}

  /** The sentinel asks for a batch to be run again from its object. */
  record Redrive(long batchId) implements Work {}
}
