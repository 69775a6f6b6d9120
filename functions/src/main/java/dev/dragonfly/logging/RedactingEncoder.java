package dev.dragonfly.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;

/**
 * The one redaction point of every log line: it redacts what the wrapped encoder wrote (the
 * message with its arguments, the MDC values, the exception and its stack), text and JSON
 * alike, so no field, format or library can bypass it. Timestamps are written to the
 * millisecond, so no nine-digit run of a clock is taken for an SSN.
 */
final class RedactingEncoder extends EncoderBase<ILoggingEvent> {
  private final Encoder<ILoggingEvent> delegate;

  RedactingEncoder(Encoder<ILoggingEvent> delegate) {
    this.delegate = delegate;
  }

  @Override public byte[] headerBytes() {
    return delegate.headerBytes();
  }

  @Override public byte[] encode(ILoggingEvent event) {
    String line = new String(delegate.encode(event), StandardCharsets.UTF_8);
    return Redactor.redact(line).getBytes(StandardCharsets.UTF_8);
  }

  @Override public byte[] footerBytes() {
    return delegate.footerBytes();
  }

  @Override public void start() {
    delegate.start();
    super.start();
  }

  @Override public void stop() {
    delegate.stop();
    super.stop();
  }
}
