package dev.tslake.testing;

import dev.tslake.warehouse.WarehouseSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fresh, empty warehouses for each test of a class: a PostgreSQL schema of its own or a DuckDB file
 * in a folder of its own. After each test the DuckDB files are released (so no connection of the
 * run keeps them open) and deleted, and the schemas dropped.
 *
 * <pre>{@code
 * @RegisterExtension final TestWarehouses warehouses = new TestWarehouses("vintages");
 * ...
 * WarehouseSpec wh = warehouses.of(kind, "split"); // kind: "postgres" or "duckdb"
 * }</pre>
 */
public final class TestWarehouses implements AfterEachCallback, AutoCloseable {
  private final String schemaPrefix;
  private final List<String> schemas = new ArrayList<>();
  private final List<WarehouseSpec> ducks = new ArrayList<>();
  private Path dir;

  /** PostgreSQL schemas are named after {@code schemaPrefix}. */
  public TestWarehouses(String schemaPrefix) {
    this.schemaPrefix = schemaPrefix;
  }

  /** {@code kind} is "postgres" or "duckdb"; {@code name} names the DuckDB file. */
  public WarehouseSpec of(String kind, String name) {
    switch (kind) {
      case "postgres":
        return postgres();
      case "duckdb":
        return duckdb(name);
      default:
        throw new IllegalArgumentException("no warehouse kind '" + kind + "' (postgres, duckdb)");
    }
  }

  /** A fresh schema on the test server (fails under CI=true when there is none). */
  public WarehouseSpec postgres() {
    String url = PostgresSupport.freshSchemaUrl(schemaPrefix);
    schemas.add(url);
    return new WarehouseSpec(url, PostgresSupport.user(), PostgresSupport.password());
  }

  /** A new DuckDB file {@code <name>.duckdb} (the same name in one test: the same file). */
  public WarehouseSpec duckdb(String name) {
    try {
      if (dir == null) {
        dir = Files.createTempDirectory("tslake-warehouses-");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    WarehouseSpec spec =
        new WarehouseSpec("jdbc:duckdb:" + dir.resolve(name + ".duckdb"), null, null);
    ducks.add(spec);
    return spec;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    close();
  }

  /** Releases and deletes the DuckDB files, drops the schemas; the next test starts empty. */
  @Override
  public void close() {
    ducks.forEach(WarehouseSpec::release);
    schemas.forEach(PostgresSupport::dropSchema);
    ducks.clear();
    schemas.clear();
    if (dir != null) {
      try (Stream<Path> walk = Files.walk(dir)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      dir = null;
    }
  }
}
