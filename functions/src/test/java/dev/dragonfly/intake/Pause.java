package dev.dragonfly.intake;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A point where a worker thread stops until the test lets it go: {@code reached()} then {@code release()}. */
final class Pause {
  private final CountDownLatch reached = new CountDownLatch(1);
  private final CountDownLatch released = new CountDownLatch(1);

  /** Called by the worker: says it is here, waits for the test. */
  void here() {
    reached.countDown();
    try {
      if (!released.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("the test never released the pause");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  void awaitReached() throws InterruptedException {
    if (!reached.await(30, TimeUnit.SECONDS)) throw new AssertionError("the worker never reached the pause");
  }

  boolean isReached() {
    return reached.getCount() == 0;
  }

  void release() {
    released.countDown();
  }
}
