package dev.dragonfly.sentinel.alert;

import java.time.Duration;

/** Waits, as delivery must between messages to one channel and after a 429; tests move a clock instead. */
@FunctionalInterface
public interface Sleeper {
  Sleeper REAL = d -> Thread.sleep(d.toMillis());

  void sleep(Duration d) throws InterruptedException;
}
