package dev.tslake.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The pure string helpers of {@link PostgresSupport}; no server needed. */
class PostgresSupportUrlTest {

  @Test
  void addsOrReplacesCurrentSchema() {
    String base = "jdbc:postgresql://127.0.0.1:5432/tslake_test";
    assertEquals(base + "?currentSchema=t_a", PostgresSupport.urlWithSchema(base, "t_a"));
    assertEquals(
        base + "?ssl=false&currentSchema=t_a",
        PostgresSupport.urlWithSchema(base + "?ssl=false", "t_a"));
    assertEquals(
        base + "?ssl=false&currentSchema=t_b",
        PostgresSupport.urlWithSchema(base + "?currentSchema=t_a&ssl=false", "t_b"));
    assertEquals("t_b", PostgresSupport.schemaOf(base + "?ssl=false&currentSchema=t_b"));
  }

  @Test
  void schemaNamesAreSafeAndUnique() {
    String a = PostgresSupport.schemaName("My-Test.Case");
    String b = PostgresSupport.schemaName("My-Test.Case");
    assertTrue(a.matches("t_my_test_case_[0-9a-f]{10}"), a);
    assertNotEquals(a, b);
    assertTrue(PostgresSupport.schemaName("x".repeat(200)).length() <= 63);
  }
}
