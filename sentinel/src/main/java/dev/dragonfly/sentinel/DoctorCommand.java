package dev.dragonfly.sentinel;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Checks that the database is reachable and its schema current, without changing anything. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
    description = "Check connectivity and configuration: database reachable, migrations current, sources present.",
    footer = {"", "Exit codes: 0 all checks pass, 6 a check failed (each failing line says what to run)."})
final class DoctorCommand implements Callable<Integer> {
  @ParentCommand SentinelCli root;
  @Spec CommandSpec spec;

  @Override public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    List<HealthPass.Finding> findings = HealthPass.run(() -> root.connector().database(), root.connector().describe());
    findings.forEach(f -> out.println(f.line()));
    return HealthPass.healthy(findings) ? ExitCodes.OK : ExitCodes.UNHEALTHY;
  }
}
