package dev.dragonfly.intake;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay between the JDBC driver and PostgreSQL whose network the test controls:
 * {@link #reset} sends one connection an RST both ways (a failed NAT, load balancer or network
 * path: the driver sees a real I/O failure, SQL state 08006, not a server saying goodbye, 57P01);
 * {@link #freeze} stops every byte and every close in both directions with the connections left
 * open (a network that stops answering), and {@link #thaw} lets them through again.
 */
final class TcpProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final String upstreamHost;
  private final int upstreamPort;
  /** By the proxy's local port towards PostgreSQL: what {@code pg_stat_activity.client_port} shows. */
  private final Map<Integer, Socket[]> pipes = new ConcurrentHashMap<>();
  private final AtomicInteger resets = new AtomicInteger();
  private final Object gate = new Object();
  private boolean frozen;

  TcpProxy(String upstreamHost, int upstreamPort) {
    this.upstreamHost = upstreamHost;
    this.upstreamPort = upstreamPort;
    try {
      listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    daemon("proxy-accept", this::accept);
  }

  String host() {
    return listener.getInetAddress().getHostAddress();
  }

  int port() {
    return listener.getLocalPort();
  }

  int resets() {
    return resets.get();
  }

  void freeze() {
    synchronized (gate) {
      frozen = true;
    }
  }

  void thaw() {
    synchronized (gate) {
      frozen = false;
      gate.notifyAll();
    }
  }

  /** Resets the connection PostgreSQL sees coming from {@code clientPort}; false if there is none. */
  boolean reset(int clientPort) {
    Socket[] pipe = pipes.remove(clientPort);
    if (pipe == null) return false;
    for (Socket s : pipe) {
      try {
        s.setSoLinger(true, 0); // close sends RST, not FIN
        s.close();
      } catch (IOException ignored) {
        // already gone
      }
    }
    resets.incrementAndGet();
    return true;
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket(upstreamHost, upstreamPort);
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
        int key = server.getLocalPort();
        pipes.put(key, new Socket[] {client, server});
        daemon("proxy-up-" + key, () -> pump(client, server, key));
        daemon("proxy-down-" + key, () -> pump(server, client, key));
      } catch (IOException e) {
        if (!listener.isClosed()) throw new UncheckedIOException(e);
      }
    }
  }

  private void pump(Socket from, Socket to, int key) {
    byte[] buffer = new byte[16 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        awaitThawed();
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException | InterruptedException ignored) {
      // one side went away (or was reset): the other goes with it
    } finally {
      try {
        awaitThawed(); // a network that stops answering does not pass on a close either
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      pipes.remove(key);
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private void awaitThawed() throws InterruptedException {
    synchronized (gate) {
      while (frozen) gate.wait();
    }
  }

  private static void daemon(String name, Runnable work) {
    Thread t = new Thread(work, name);
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(java.io.Closeable s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override public void close() {
    thaw();
    closeQuietly(listener);
    for (Integer key : pipes.keySet()) {
      Socket[] pipe = pipes.remove(key);
      if (pipe != null) for (Socket s : pipe) closeQuietly(s);
    }
  }
}
