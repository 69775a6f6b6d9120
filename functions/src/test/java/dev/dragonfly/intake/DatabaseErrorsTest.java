package dev.dragonfly.intake;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Database failures reach logs and batches.last_error: their messages must not carry row values. */
class DatabaseErrorsTest {
  @Test
  void neitherServerDetailNorBoundArgumentsAppearInExceptionMessages() {
    Database db = Database.connect(DatabaseUrl.parse(TestDatabase.jdbcUrl(TestDatabase.fresh())));

    // the server's DETAIL would read "Failing row contains (…, Jane Example, …, jane@example.com, …)"
    // and Jdbi would list the bound arguments
    assertThatThrownBy(() -> db.jdbi().useHandle(h -> h.createUpdate("""
            INSERT INTO intake.judgments (case_number, plaintiff_name, defendant_name, judgment_amount, judgment_date,
                                          defendant_ssn_last4, defendant_email, source, first_batch_id, last_batch_id,
                                          source_record_number)
            VALUES (:case, 'Acme', :name, 1, '2024-01-01', :ssn, :email, 'judgments', 1, 1, 2)""")
        .bind("case", "C-1").bind("name", "Jane Example").bind("ssn", "12345").bind("email", "jane@example.com")
        .execute()))
        .hasMessageContaining("judgments_defendant_ssn_last4_check")
        .hasMessageNotContaining("jane@example.com")
        .hasMessageNotContaining("Jane Example")
        .hasMessageNotContaining("12345");
  }
}
