package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.DatabaseClock;
import dev.dragonfly.intake.IntakePipeline;
import dev.dragonfly.sentinel.alert.Alerts;
import dev.dragonfly.sentinel.alert.Sleeper;
import dev.dragonfly.sentinel.check.Check;
import dev.dragonfly.sentinel.check.DatabaseCheck;
import dev.dragonfly.sentinel.check.ErrorSpike;
import dev.dragonfly.sentinel.check.LostEvents;
import dev.dragonfly.sentinel.check.PassHistory;
import dev.dragonfly.sentinel.check.SchemaCache;
import dev.dragonfly.sentinel.check.SentinelSelf;
import dev.dragonfly.sentinel.check.StuckBatches;
import dev.dragonfly.sentinel.heal.Audit;
import dev.dragonfly.sentinel.heal.LocalRedriver;
import dev.dragonfly.sentinel.heal.Redriver;
import dev.dragonfly.sentinel.heal.SentinelState;
import dev.dragonfly.sentinel.heal.SnsRedriver;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sns.SnsClient;

/** Builds a {@link Sentinel} from its configuration: which checks, which re-drive path, which clients. */
final class SentinelFactory {
  /**
   * The clients the configuration calls for: S3 with a bucket, SNS with an events or alerts
   * topic, and the Slack bot token (read from its secret when it lives in Secrets Manager).
   */
  record Clients(Optional<S3Client> s3, Optional<SnsClient> sns, Optional<String> slackToken) {
    Clients(Optional<S3Client> s3, Optional<SnsClient> sns) {
      this(s3, sns, Optional.empty());
    }

    /** Never prints the token. */
    @Override public String toString() {
      return "Clients[s3=" + s3.isPresent() + ", sns=" + sns.isPresent() + ", slackToken=" + slackToken.isPresent() + "]";
    }
  }

  private SentinelFactory() {}

  /** A sentinel and what it owns: its checks' pool of sessions, and a local re-driver (on a thread of its own). */
  record Built(Sentinel sentinel, Optional<LocalRedriver> localRedriver, CheckConnections checkConnections)
      implements AutoCloseable {
    @Override public void close() {
      sentinel.close();
      localRedriver.ifPresent(LocalRedriver::close);
      checkConnections.close();
    }
  }

  static Built build(SentinelConfig config, Database db, Clock clock, Clients clients) {
    return build(config, db, clock, clients, Sleeper.REAL);
  }

  /** {@code sleeper}: how alert delivery waits (between messages to a channel, after a 429); tests move their clock. */
  static Built build(SentinelConfig config, Database db, Clock clock, Clients clients, Sleeper sleeper) {
    return build(config, db, clock, DatabaseClock.DATABASE, clients, sleeper);
  }

  /**
   * {@code db}: the process's own connections, which an in-process re-drive and the alerts use;
   * the checks get a bounded pool over them with the check time limit as statement and lock
   * timeout ({@link CheckConnections}). {@code leases}: the clock an in-process re-drive's leases
   * are judged on; tests shift the database's.
   */
  static Built build(SentinelConfig config, Database db, Clock clock, DatabaseClock leases, Clients clients,
                     Sleeper sleeper) {
    Audit audit = new Audit(config.instance());
    CheckConnections pool = new CheckConnections(db.dataSource(), config.databasePoolSize(), config.checkTimeLimit());
    Database checksDb = pool.database();
    Optional<LocalRedriver> local = Optional.empty();
    Redriver redriver;
    if (config.eventsTopicArn().isPresent() && clients.sns().isPresent()) {
      redriver = new SnsRedriver(clients.sns().get(), config.eventsTopicArn().get());
    } else {
      LocalRedriver r = new LocalRedriver(new IntakePipeline(db, config.intake(), clock, leases), clients.s3(), config.bucket());
      local = Optional.of(r);
      redriver = r;
    }
    SentinelState state = new SentinelState(checksDb.jdbi());
    SentinelConfig.LostEventsSettings lost = config.lostEvents();
    List<Check> checks = List.of(
        new StuckBatches(checksDb.jdbi(), config.intake().staleAfter(), config.maxRedrives(), redriver, audit),
        new ErrorSpike(checksDb.jdbi(), config.errorSpike()),
        schemaCache(config, checksDb, audit),
        new LostEvents(checksDb.jdbi(), clients.s3(), config.bucket(), new LostEvents.Limits(lost.age(), lost.pagesPerPass(),
            lost.pageSize(), LostEvents.HEALS_PER_PASS_DEFAULT), redriver, audit, state),
        new DatabaseCheck(checksDb.jdbi(), config.database()));
    PassHistory history = new PassHistory(Optional.of(state));
    Check self = new SentinelSelf(history, config.interval(), config.unknownPasses());
    Optional<DeadMansSwitch> ping = config.pingUrl().map(DeadMansSwitch::new);
    // schema_cache may wait out a reload: its deadline on top of the usual limit
    Map<String, java.time.Duration> limits = Map.of(SchemaCache.NAME, config.checkTimeLimit().plus(config.postgrest().reloadDeadline()));
    Alerts alerts = Alerts.create(config.alerts(), db.jdbi(), config.instance(), clients.slackToken(), clients.sns(), clock, sleeper);
    return new Built(new Sentinel(checks, self, config.checkTimeLimit(), limits, history, ping, config.instance(),
        Optional.of(alerts)), local, pool);
  }

  /** The reload goes to POSTGREST_NOTIFY_DATABASE_URL (a direct connection) when set, else to the sentinel's database. */
  static SchemaCache schemaCache(SentinelConfig config, Database db, Audit audit) {
    SentinelConfig.PostgrestSettings p = config.postgrest();
    Database primary = p.notifyDatabaseUrl().map(Database::connect).orElse(db);
    return new SchemaCache(db.jdbi(), primary.jdbi(), new SchemaCache.Settings(p.url(), p.adminUrl(), p.schemas(),
        p.reloadMinInterval(), p.reloadDeadline(), SchemaCache.FIRST_BACKOFF), audit);
  }
}
