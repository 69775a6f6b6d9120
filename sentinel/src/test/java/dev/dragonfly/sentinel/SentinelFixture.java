package dev.dragonfly.sentinel;

import dev.dragonfly.functions.LocalS3;
import dev.dragonfly.functions.SnsFake;
import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.Fixtures;
import dev.dragonfly.intake.MutableClock;
import dev.dragonfly.intake.TestDatabase;
import dev.dragonfly.sentinel.alert.Sleeper;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A sentinel over a fresh embedded database, on a clock the test moves (starting where the
 * intake fixtures' clock stands), configured from an environment map as in production.
 */
final class SentinelFixture {
  static final String TOPIC = "arn:aws:sns:us-east-1:000000000000:intake-events";

  final Database db = TestDatabase.fresh();
  final MutableClock clock = new MutableClock(Fixtures.CLOCK.instant());

  SentinelConfig config(Map<String, String> env) {
    Map<String, String> all = new HashMap<>(env);
    all.putIfAbsent("SENTINEL_INSTANCE", "test-sentinel");
    return SentinelConfig.fromEnv(all);
  }

  /** A sentinel re-driving in process (no events topic). */
  SentinelFactory.Built local(Map<String, String> env) {
    return SentinelFactory.build(config(env), db, clock, clock, new SentinelFactory.Clients(Optional.empty(), Optional.empty()),
        Sleeper.REAL);
  }

  /** A sentinel re-driving through the events topic, here the SNS stand-in. */
  SentinelFactory.Built withTopic(Map<String, String> env, SnsFake sns) {
    Map<String, String> all = new HashMap<>(env);
    all.put("EVENTS_TOPIC_ARN", TOPIC);
    return SentinelFactory.build(config(all), db, clock, clock,
        new SentinelFactory.Clients(Optional.empty(), Optional.of(LocalS3.sns(sns))), Sleeper.REAL);
  }

  long count(String sql, Object... args) {
    return db.jdbi().withHandle(h -> {
      var q = h.createQuery(sql);
      for (int i = 0; i < args.length; i++) q.bind(i, args[i]);
      return q.mapTo(Long.class).one();
    });
  }
}
