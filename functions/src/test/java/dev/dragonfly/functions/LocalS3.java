package dev.dragonfly.functions;

import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sns.SnsClient;

/**
 * An in-process S3-compatible server (gaul S3Proxy over an in-memory blob store) and real AWS
 * SDK v2 clients pointed at it and at an {@link SnsFake}.
 */
public final class LocalS3 implements AutoCloseable {
  static final String ACCESS_KEY = "local-access-key";
  static final String SECRET_KEY = "local-secret-key";

  private final S3Proxy proxy;

  public LocalS3() throws Exception {
    BlobStoreContext context = ContextBuilder.newBuilder("transient")
        .credentials("identity", "credential").build(BlobStoreContext.class);
    proxy = S3Proxy.builder()
        .blobStore(context.getBlobStore())
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
        .endpoint(URI.create("http://127.0.0.1:0"))
        .build();
    proxy.start();
    while (!"STARTED".equals(proxy.getState())) Thread.onSpinWait();
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  public S3Client client() {
    return client(new RequestLog());
  }

  /** A client that notes each request's operation and key in {@code log}, as S3 received them. */
  public S3Client client(RequestLog log) {
    return S3Client.builder()
        .overrideConfiguration(c -> c.addExecutionInterceptor(log))
        .endpointOverride(endpoint())
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .forcePathStyle(true)
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .build();
  }

  public static SnsClient sns(SnsFake fake) {
    return SnsClient.builder()
        .endpointOverride(fake.endpoint())
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .build();
  }

  /** The S3 requests a client sent: "GetObject key", "PutObject key", … (an SDK interceptor, no mock). */
  public static final class RequestLog implements ExecutionInterceptor {
    private final List<String> requests = new CopyOnWriteArrayList<>();

    @Override public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
      String key = context.request() instanceof GetObjectRequest g ? g.key()
          : context.request() instanceof PutObjectRequest p ? p.key() : "";
      requests.add(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME) + " " + key);
    }

    @Override public String toString() {
      return requests.toString();
    }

    long count(String operation, String key) {
      return requests.stream().filter((operation + " " + key)::equals).count();
    }
  }

  @Override public void close() throws Exception {
    proxy.stop();
  }
}
