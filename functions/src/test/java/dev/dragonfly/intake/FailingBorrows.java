package dev.dragonfly.intake;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * The real database, except that the borrow after {@link #failNext()} fails as a refused
 * connection does (SQLState 08001): a pool exhausted or a failover at the worst moment.
 */
final class FailingBorrows implements DataSource {
  private final DataSource real;
  private final AtomicBoolean failNext = new AtomicBoolean();

  FailingBorrows(DataSource real) {
    this.real = real;
  }

  void failNext() {
    failNext.set(true);
  }

  @Override public Connection getConnection() throws SQLException {
    if (failNext.compareAndSet(true, false)) throw new SQLException("connection refused", "08001");
    return real.getConnection();
  }

  @Override public Connection getConnection(String user, String password) throws SQLException {
    return getConnection();
  }

  @Override public PrintWriter getLogWriter() throws SQLException {
    return real.getLogWriter();
  }

  @Override public void setLogWriter(PrintWriter out) throws SQLException {
    real.setLogWriter(out);
  }

  @Override public void setLoginTimeout(int seconds) throws SQLException {
    real.setLoginTimeout(seconds);
  }

  @Override public int getLoginTimeout() throws SQLException {
    return real.getLoginTimeout();
  }

  @Override public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return real.getParentLogger();
  }

  @Override public <T> T unwrap(Class<T> iface) throws SQLException {
    return real.unwrap(iface);
  }

  @Override public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return real.isWrapperFor(iface);
  }
}
