package dev.dragonfly.functions;

import java.io.File;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An in-process S3-compatible server with bucket versioning (Adobe S3Mock), for what S3Proxy's
 * in-memory store cannot show: delete markers and newer versions of a key. S3Mock is a Spring
 * Boot application whose servlet container clashes with S3Proxy's Jetty, so its jars (copied by
 * the s3mock-runtime module, named by the {@code s3mock.lib} system property) run in a class
 * loader of their own; the tests reach it over HTTP through the real SDK client only.
 */
public final class VersionedS3 implements AutoCloseable {
  private final URLClassLoader loader;
  private final Object app;
  private final int port;

  public VersionedS3() throws Exception {
    String lib = System.getProperty("s3mock.lib");
    if (lib == null || !Files.isDirectory(Path.of(lib)))
      throw new IllegalStateException("s3mock.lib is not a directory: " + lib
          + " (build with -am so that the s3mock-runtime module copies S3Mock's jars)");
    File[] jars = Path.of(lib).toFile().listFiles((dir, name) -> name.endsWith(".jar"));
    URL[] urls = new URL[jars.length];
    for (int i = 0; i < jars.length; i++) urls[i] = jars[i].toURI().toURL();
    loader = new URLClassLoader("s3mock", urls, ClassLoader.getPlatformClassLoader());
    Map<String, Object> properties = new HashMap<>();
    properties.put("server.port", "0");
    properties.put("com.adobe.testing.s3mock.httpPort", "0");
    properties.put("spring.main.banner-mode", "off");
    properties.put("logging.level.root", "WARN");
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(loader);
    try {
      Class<?> type = loader.loadClass("com.adobe.testing.s3mock.S3MockApplication");
      app = type.getMethod("start", Map.class, String[].class).invoke(null, properties, new String[0]);
      port = (Integer) type.getMethod("getHttpPort").invoke(app);
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  public S3Client client() {
    return S3Client.builder()
        .endpointOverride(endpoint())
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local-access-key",
            "local-secret-key")))
        .forcePathStyle(true)
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .build();
  }

  @Override public void close() throws Exception {
    try {
      app.getClass().getMethod("stop").invoke(app);
    } finally {
      loader.close();
    }
  }
}
