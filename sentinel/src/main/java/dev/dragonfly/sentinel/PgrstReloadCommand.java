package dev.dragonfly.sentinel;

import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.SchemaCache;
import dev.dragonfly.sentinel.check.Status;
import dev.dragonfly.sentinel.heal.Audit;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Tells PostgREST to reload its schema cache now and checks that it serves the catalog again. */
@Command(name = "pgrst-reload", mixinStandardHelpOptions = true,
    description = {"Reload PostgREST's schema cache: NOTIFY pgrst, 'reload schema' on a direct connection to the primary",
        "(POSTGREST_NOTIFY_DATABASE_URL, else DATABASE_URL), recorded in the audit, then read PostgREST until it serves",
        "the newest relations, columns and functions of POSTGREST_SCHEMAS or POSTGREST_RELOAD_DEADLINE (default 20s) passes."},
    footer = {"", "Exit codes: 0 reloaded and PostgREST serves them all, 2 bad usage (no POSTGREST_URL),",
        "6 PostgREST still lacks some or has no schema cache (see runbooks/schema-cache.md)."})
final class PgrstReloadCommand implements Callable<Integer> {
  @ParentCommand SentinelCli root;
  @Spec CommandSpec spec;

  @Override public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    SentinelConfig config = root.connector().sentinelConfig();
    if (config.postgrest().url().isEmpty()) {
      throw new UserMistake("set POSTGREST_URL to PostgREST's address (e.g. http://localhost:3000) to reload its schema cache");
    }
    SchemaCache check = SentinelFactory.schemaCache(config, root.connector().migratedDatabase(), new Audit(config.instance()));
    CheckResult result = check.reloadNow(Clock.systemUTC().instant());
    out.println(result.summary());
    return result.status() == Status.OK ? ExitCodes.OK : ExitCodes.UNHEALTHY;
  }
}
