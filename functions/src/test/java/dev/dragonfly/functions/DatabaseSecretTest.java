package dev.dragonfly.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DatabaseSecretTest {
  @Test
  void readsAUrlSecret() {
    assertThat(DatabaseSecret.parse(" postgresql://intake:pw@db.internal:5432/intake\n").jdbcUrl())
        .isEqualTo("jdbc:postgresql://db.internal:5432/intake");
  }

  @Test
  void readsAnRdsManagedSecretWithAwkwardPasswords() {
    var url = DatabaseSecret.parse("""
        {"username": "intake", "password": "p@ss w:rd/+", "host": "proxy.internal", "port": 5432, "dbname": "intake"}""");

    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://proxy.internal:5432/intake");
    assertThat(url.user()).contains("intake");
    assertThat(url.password()).contains("p@ss w:rd/+");
  }

  @Test
  void rejectsSomethingElseWithoutEchoingIt() {
    assertThatThrownBy(() -> DatabaseSecret.parse("{not json"))
        .hasMessage("the database secret is neither a URL nor valid JSON");
  }
}
