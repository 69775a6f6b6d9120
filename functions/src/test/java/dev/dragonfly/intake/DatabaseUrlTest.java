package dev.dragonfly.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class DatabaseUrlTest {
  @Test
  void parsesTheLibpqForm() {
    DatabaseUrl url = DatabaseUrl.parse("postgresql://intake:p%40ss@db.internal:5433/intake?sslmode=require");

    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5433/intake?sslmode=require");
    assertThat(url.user()).contains("intake");
    assertThat(url.password()).contains("p@ss");
    assertThat(url.toString()).doesNotContain("p@ss").doesNotContain("p%40ss");
  }

  @Test
  void keepsTheJdbcFormAsItIs() {
    DatabaseUrl url = DatabaseUrl.parse("jdbc:postgresql://localhost:5432/intake?user=x&password=secret&ssl=true");

    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://localhost:5432/intake?user=x&password=secret&ssl=true");
    assertThat(url.user()).isEqualTo(Optional.empty());
    assertThat(url.toString()).isEqualTo("jdbc:postgresql://localhost:5432/intake?user=x&password=***&ssl=true");
  }

  @Test
  void rejectsOtherSchemesNamingTheScheme() {
    assertThatThrownBy(() -> DatabaseUrl.parse("mysql://x@y/z"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("DATABASE_URL must start with postgresql://, postgres:// or jdbc:postgresql:// (got scheme 'mysql')");
  }
}
