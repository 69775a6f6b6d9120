import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises a JDK Flight Recorder file of one `sentinel ingest` (bench/profile.sh): the CPU
 * samples of the reader thread (the thread that parses, validates and encodes) split by what
 * they were doing, and its hottest methods. Usage: java bench/JfrSummary.java FILE.jfr
 */
public class JfrSummary {
  /** Stages by the first frame, from the top of the stack, that belongs to one. */
  static final Map<String, String> STAGES = new LinkedHashMap<>();

  static {
    STAGES.put("sun.nio.cs.UTF_8", "UTF-8 decoding");
    STAGES.put("dev.dragonfly.intake.csv.CsvGuard", "parsing: CsvGuard (quoting, limits, faults)");
    STAGES.put("org.apache.commons.csv.", "parsing: commons-csv");
    STAGES.put("org.apache.commons.io.", "parsing: commons-csv");
    // CsvReader: the facade over commons-csv; before 2026-12-02 the hand-written reader itself
    STAGES.put("dev.dragonfly.intake.csv.", "parsing: CsvReader");
    STAGES.put("dev.dragonfly.intake.judgments.JudgmentValidator", "validation");
    STAGES.put("dev.dragonfly.intake.judgments.JudgmentLoader", "encoding rows for COPY");
    STAGES.put("dev.dragonfly.intake.CopyRows", "encoding rows for COPY");
    STAGES.put("java.security.", "SHA-256 of the file");
    STAGES.put("sun.security.", "SHA-256 of the file");
  }

  public static void main(String[] args) throws Exception {
    Map<String, Integer> byStage = new LinkedHashMap<>();
    Map<String, Integer> byMethod = new HashMap<>();
    Map<String, Integer> byThread = new HashMap<>();
    int reader = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(Path.of(args[0]))) {
      if (!e.getEventType().getName().equals("jdk.ExecutionSample")) continue;
      String thread = e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
      String kind = thread == null ? "?" : thread.startsWith("intake-reader") ? "reader" : thread;
      byThread.merge(kind, 1, Integer::sum);
      if (!"reader".equals(kind) || e.getStackTrace() == null) continue;
      reader++;
      List<RecordedFrame> frames = e.getStackTrace().getFrames();
      if (!frames.isEmpty()) {
        RecordedFrame top = frames.get(0);
        byMethod.merge(top.getMethod().getType().getName() + "." + top.getMethod().getName(), 1, Integer::sum);
      }
      byStage.merge(stageOf(frames), 1, Integer::sum);
    }
    System.out.println("CPU samples by thread:");
    byThread.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(8)
        .forEach(t -> System.out.printf("  %6d  %s%n", t.getValue(), t.getKey()));
    System.out.printf("%nreader thread, %d samples (about %d ms of CPU), by stage (the innermost known frame decides):%n",
        reader, reader * 10);
    final int total = Math.max(1, reader);
    byStage.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .forEach(s -> System.out.printf("  %5.1f%%  %s%n", 100.0 * s.getValue() / total, s.getKey()));
    System.out.println("\nreader thread, hottest methods (self):");
    byMethod.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(15)
        .forEach(m -> System.out.printf("  %5.1f%%  %s%n", 100.0 * m.getValue() / total, m.getKey()));
  }

  static String stageOf(List<RecordedFrame> frames) {
    for (RecordedFrame f : frames) {
      String type = f.getMethod().getType().getName();
      for (Map.Entry<String, String> s : STAGES.entrySet()) {
        if (type.startsWith(s.getKey())) return s.getValue();
      }
    }
    return "other (collections, strings, allocation)";
  }
}
