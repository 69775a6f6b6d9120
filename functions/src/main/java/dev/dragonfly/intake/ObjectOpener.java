package dev.dragonfly.intake;

import java.io.IOException;
import java.io.InputStream;

/**
 * Opens an object's content, called only once the object is claimed: a redelivery of an object
 * already decided, or one another worker holds, never opens (never downloads) it.
 */
@FunctionalInterface
public interface ObjectOpener {
  InputStream open() throws IOException;
}
