package dev.dragonfly.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ErrorsCsvWriterTest {
  @Test
  void neutralisesFormulaCellsAndQuotesFields() {
    var out = new StringWriter();
    var writer = new ErrorsCsvWriter(out);
    writer.write(new RowError(7L, "court", ErrorCode.FIELD_TOO_LONG, "=cmd|' /C calc'!A0, then \"more\""));
    writer.write(new RowError(null, null, ErrorCode.EMPTY_FILE, "@SUM(1)"));
    writer.write(new RowError(9L, "court", ErrorCode.FIELD_TOO_LONG, "-2+3"));
    writer.write(new RowError(10L, "court", ErrorCode.FIELD_TOO_LONG, "\tx"));

    assertThat(out.toString()).isEqualTo("record_number,column,code,message\r\n"
        + "7,court,FIELD_TOO_LONG,\"'=cmd|' /C calc'!A0, then \"\"more\"\"\"\r\n"
        + ",,EMPTY_FILE,'@SUM(1)\r\n"
        + "9,court,FIELD_TOO_LONG,'-2+3\r\n"
        + "10,court,FIELD_TOO_LONG,'\tx\r\n");
  }
}
