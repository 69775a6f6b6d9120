package dev.dragonfly.functions;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs the packaged handler once on an event file, as the Lambda runtime would on a cold
 * start: {@code java -cp intake-function.jar dev.dragonfly.functions.LocalInvoke event.json}.
 * Configuration comes from the environment (AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL_SNS point
 * the SDK at local servers). Prints the handler's output, and on standard error where the time
 * went: JVM start to main, handler construction (AWS SDK), first invocation (database, load).
 */
public final class LocalInvoke {
  private LocalInvoke() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: java -cp intake-function.jar dev.dragonfly.functions.LocalInvoke EVENT.json");
      System.exit(2);
    }
    long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
    long inMain = System.currentTimeMillis();
    IntakeHandler handler = new IntakeHandler();
    long constructed = System.currentTimeMillis();
    var out = new ByteArrayOutputStream();
    try (InputStream event = Files.newInputStream(Path.of(args[0]))) {
      handler.handleRequest(event, out, null);
    }
    long handled = System.currentTimeMillis();
    System.out.println(out.toString(java.nio.charset.StandardCharsets.UTF_8));
    System.err.printf("cold-start jvm_to_main_ms=%d construct_ms=%d first_invocation_ms=%d total_ms=%d%n",
        inMain - jvmStart, constructed - inMain, handled - constructed, handled - jvmStart);
  }
}
