package dev.tslake.warehouse;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL: a new connection per worker thread. A batch none of whose keys is stored yet is
 * COPYed straight into the table, as a bulk load would. A batch run decides that without a query:
 * every key lies outside its series' time range stored at launch ({@link StoredKeyRanges}, read
 * once by the launcher). Without that snapshot (streaming runs, direct users of {@link
 * BatchWriter}) the table is asked per batch: no row in the batch's key ranges, one index probe per
 * series; failing that, none of its keys, one probe per key. A key inserted meanwhile (another run,
 * or a retry of a batch that committed) fails the COPY on the primary key, and the batch is written
 * again with ON CONFLICT. Any other batch is COPYed into a session-temporary staging table, then
 * written by one statement, in one transaction. On PostgreSQL 15+ that statement is a {@code
 * MERGE}, which inserts new keys without {@code ON CONFLICT}'s speculative insertion and leaves
 * unchanged rows alone (not even locked); older servers get {@code INSERT ... SELECT ... ON
 * CONFLICT}. MERGE fails with a unique violation (23505) when another transaction inserts one of
 * the batch's keys meanwhile; the batch is then written again with the ON CONFLICT statement
 * ({@link Loader#isMergeConflict}).
 */
public final class PostgresDialect implements Dialect {
  public static final PostgresDialect INSTANCE = new PostgresDialect();

  static final String UNIQUE_VIOLATION = "23505";

  /** Default pgjdbc {@code connectTimeout}: seconds to open the TCP connection. */
  public static final int CONNECT_TIMEOUT_SECONDS = 10;

  /**
   * Default pgjdbc {@code socketTimeout}: seconds a read from the server may block, so longer than
   * any one statement of a load (a batch's MERGE, a read-back of stored observations).
   */
  public static final int SOCKET_TIMEOUT_SECONDS = 300;

  /**
   * Most key ranges one batch's emptiness check looks at; a batch with more goes through staging.
   */
  static final int MAX_RANGES = 256;

  /**
   * {@code -Dtslake.pg.directCopy=false} sends every batch through staging and MERGE, as before the
   * direct path (for before/after measurements; results are the same either way).
   */
  static final boolean DIRECT_COPY =
      Boolean.parseBoolean(System.getProperty("tslake.pg.directCopy", "true"));

  /**
   * {@code -Dtslake.pg.launchRanges=false}: a batch run too decides per batch (range and key
   * probes) instead of from the launch snapshot ({@link StoredKeyRanges}), for before/after
   * measurements; results are the same either way.
   */
  static final boolean LAUNCH_RANGES =
      Boolean.parseBoolean(System.getProperty("tslake.pg.launchRanges", "true"));

  /**
   * {@code -Dtslake.pg.copyFormat=csv} COPYs batches as CSV text instead of PostgreSQL's binary
   * format (for before/after measurements; results are the same either way).
   */
  static final boolean BINARY_COPY =
      !"csv".equalsIgnoreCase(System.getProperty("tslake.pg.copyFormat", "binary"));

  /** Seconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01 UTC. */
  static final long PG_EPOCH_SECONDS = 946_684_800L;

  /** The binary COPY header: signature, flags, header extension length. */
  static final byte[] BINARY_HEADER = {
    'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0
  };

  /** Characters of CSV (or bytes of binary COPY) sent per COPY message. */
  static final int COPY_CHUNK = 1 << 16;

  private static final Logger LOG = LoggerFactory.getLogger(PostgresDialect.class);

  private PostgresDialect() {}

  @Override
  public String name() {
    return "postgresql";
  }

  @Override
  public boolean refusesKeyTwice() {
    return true;
  }

  @Override
  public Connection open(
      String url, @Nullable String user, @Nullable String password, String described)
      throws SQLException {
    Properties props = new Properties();
    if (user != null) {
      props.setProperty("user", user);
    }
    if (password != null) {
      props.setProperty("password", password);
    }
    // Lets pgjdbc send a batch of upserts as multi-row statements.
    props.setProperty("reWriteBatchedInserts", "true");
    props.setProperty("ApplicationName", "tslake");
    // A dead server or a half-open connection (a NAT or firewall dropping it silently) fails the
    // statement instead of hanging the run; the failure (08006) is retried like a restart. The
    // URL's own parameters win (pgjdbc reads them over these), e.g. ?socketTimeout=900.
    props.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
    props.setProperty("socketTimeout", Integer.toString(SOCKET_TIMEOUT_SECONDS));
    props.setProperty("tcpKeepAlive", "true");
    try {
      // the driver itself, not DriverManager: on a Flink TaskManager that already ran a job,
      // DriverManager holds the pgjdbc Driver registered by that job's class loader and refuses
      // it to this job's ("No suitable driver"), and this job's Driver class is never initialized
      Connection c = new org.postgresql.Driver().connect(url, props);
      if (c == null) {
        throw new SQLException("not a PostgreSQL JDBC URL", "08001");
      }
      return c;
    } catch (SQLException e) {
      throw new SQLException(
          "cannot connect to warehouse " + described + ": " + e.getMessage(), e.getSQLState(), e);
    }
  }

  @Override
  public <T> Loader<T> loader(Connection connection, Table<T> table, boolean allowMerge)
      throws SQLException {
    boolean merge = allowMerge && connection.getMetaData().getDatabaseMajorVersion() >= 15;
    return new CopyLoader<>(connection, table, merge);
  }

  @Override
  public boolean wantsStoredKeyRanges() {
    return DIRECT_COPY && LAUNCH_RANGES;
  }

  private Object readResolve() {
    return INSTANCE;
  }

  /** COPY into the staging table, then one MERGE or INSERT ... SELECT ... ON CONFLICT. */
  static final class CopyLoader<T> implements Loader<T> {
    private final Connection connection;
    private final Table<T> table;
    private final boolean merge;
    private final StringBuilder chunk = new StringBuilder(COPY_CHUNK + 4096);
    private final BinaryBuffer binary = new BinaryBuffer(COPY_CHUNK + 4096);
    private final int[] keyIndexes;
    private boolean stagingReady;
    private StoredKeyRanges.@Nullable Check<T> launchRanges;
    private long directBatches;
    private long directRows;
    private long mergedBatches;
    private long mergedRows;
    private long checkNanos;
    private long directCopyNanos;
    private long stageCopyNanos;
    private long mergeNanos;

    CopyLoader(Connection connection, Table<T> table, boolean merge) {
      this.connection = connection;
      this.table = table;
      this.merge = merge;
      this.keyIndexes = table.keyColumns().stream().mapToInt(table.columns()::indexOf).toArray();
    }

    @Override
    public boolean usesMerge() {
      return merge;
    }

    @Override
    public boolean isMergeConflict(SQLException e) {
      // another transaction inserted one of the keys after MERGE looked for it
      return UNIQUE_VIOLATION.equals(e.getSQLState());
    }

    private String stagingTable() {
      return "tslake_stage_" + table.name();
    }

    @Override
    public long directBatches() {
      return directBatches;
    }

    @Override
    public void storedAtLaunch(StoredKeyRanges ranges) {
      launchRanges = ranges.checkOf(table);
    }

    /**
     * Whether every key of the batch lies outside its series' range stored at launch (no query).
     */
    private boolean outsideLaunchRanges(List<T> batch) {
      return launchRanges.noneMayBeStored(batch);
    }

    @Override
    public String timings() {
      if (directBatches + mergedBatches == 0) {
        return "";
      }
      return String.format(
          java.util.Locale.ROOT,
          "%d batches straight into the table (%d rows, %s %.1f s, COPY %.1f s),"
              + " %d through staging (%d rows, COPY %.1f s, MERGE/upsert %.1f s)",
          directBatches,
          directRows,
          launchRanges != null ? "launch-range checks" : "range/key probes",
          checkNanos / 1e9,
          directCopyNanos / 1e9,
          mergedBatches,
          mergedRows,
          stageCopyNanos / 1e9,
          mergeNanos / 1e9);
    }

    @Override
    public long write(List<T> batch, boolean viaMerge) throws SQLException {
      if (viaMerge && DIRECT_COPY && !batch.isEmpty()) {
        long t0 = System.nanoTime();
        // With the launch snapshot, no query: a key outside its series' stored range can only be
        // in the table if another run inserted it or this batch committed before (a retry).
        boolean empty =
            launchRanges != null
                ? outsideLaunchRanges(batch)
                : keyRangesEmpty(batch) || noKeyStored(batch);
        long t1 = System.nanoTime();
        checkNanos += t1 - t0;
        if (empty) {
          // None of the batch's keys can be stored (each lies in a range the table has nothing
          // in): COPY straight into the table, as a plain bulk load does. A key inserted
          // meanwhile by another transaction makes the COPY fail with a unique violation, and
          // BatchWriter writes the batch again with ON CONFLICT, as after a MERGE.
          copyIn(table.name(), batch);
          connection.commit();
          directCopyNanos += System.nanoTime() - t1;
          directBatches++;
          directRows += batch.size();
          return batch.size();
        }
      }
      return writeThroughStaging(batch, viaMerge);
    }

    /**
     * Whether the table holds none of the batch's keys: one statement, the keys as one array per
     * key column, one primary-key probe per key (stopping at the first found). For batches whose
     * key ranges interleave with stored rows: with several writers each gets every other key of a
     * series, so its ranges hold the other writers' rows though none of its own keys.
     */
    private boolean noKeyStored(List<T> batch) throws SQLException {
      List<String> keys = table.keyColumns();
      int width = keyIndexes.length;
      Object[][] columns = new Object[width][batch.size()];
      String[] types = new String[width];
      for (int r = 0; r < batch.size(); r++) {
        Object[] values = table.values(batch.get(r));
        for (int k = 0; k < width; k++) {
          Object v = values[keyIndexes[k]];
          String type =
              v instanceof String
                  ? "text"
                  : v instanceof Instant ? "timestamptz" : v instanceof Long ? "int8" : null;
          if (type == null || (types[k] != null && !types[k].equals(type))) {
            return false;
          }
          types[k] = type;
          columns[k][r] = v instanceof Instant ? v.toString() : v;
        }
      }
      StringBuilder sql = new StringBuilder("SELECT EXISTS (SELECT 1 FROM unnest(");
      StringBuilder on = new StringBuilder();
      for (int k = 0; k < width; k++) {
        sql.append(k == 0 ? "" : ", ")
            .append("CAST(? AS text[])")
            .append(types[k].equals("text") ? "" : "::" + types[k] + "[]");
        on.append(k == 0 ? "" : " AND ")
            .append("t.")
            .append(Table.q(keys.get(k)))
            .append(" = k.c")
            .append(k);
      }
      sql.append(") AS k(");
      for (int k = 0; k < width; k++) {
        sql.append(k == 0 ? "" : ", ").append("c").append(k);
      }
      sql.append(") WHERE EXISTS (SELECT 1 FROM ")
          .append(Table.q(table.name()))
          .append(" t WHERE ")
          .append(on)
          .append("))");
      try (PreparedStatement st = connection.prepareStatement(sql.toString())) {
        for (int k = 0; k < width; k++) {
          String[] text = new String[batch.size()];
          for (int r = 0; r < text.length; r++) {
            text[r] = String.valueOf(columns[k][r]);
          }
          st.setArray(k + 1, connection.createArrayOf("text", text));
        }
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          return !rs.getBoolean(1);
        }
      }
    }

    /**
     * Whether the table holds no row in any of the batch's key ranges: the batch's rows grouped by
     * all key columns but the last, and per group the last column's lowest and highest value. One
     * index probe per group. False (so: the staging path) when a key is null, the groups are too
     * many, or the last key column is not a time or a number (whose order Java and PostgreSQL agree
     * on).
     */
    private boolean keyRangesEmpty(List<T> batch) throws SQLException {
      int width = keyIndexes.length;
      Map<List<Object>, Object[]> ranges = new LinkedHashMap<>();
      for (T row : batch) {
        Object[] values = table.values(row);
        Object[] prefix = new Object[width - 1];
        for (int k = 0; k < width - 1; k++) {
          prefix[k] = values[keyIndexes[k]];
          if (prefix[k] == null) {
            return false;
          }
        }
        Object last = values[keyIndexes[width - 1]];
        if (!(last instanceof Instant) && !(last instanceof Long)) {
          return false;
        }
        Object[] range = ranges.get(Arrays.asList(prefix));
        if (range == null) {
          if (ranges.size() == MAX_RANGES) {
            return false;
          }
          ranges.put(Arrays.asList(prefix), new Object[] {last, last});
        } else {
          if (compare(last, range[0]) < 0) {
            range[0] = last;
          }
          if (compare(last, range[1]) > 0) {
            range[1] = last;
          }
        }
      }
      StringBuilder sql = new StringBuilder("SELECT ");
      String probe = rangeProbe();
      for (int i = 0; i < ranges.size(); i++) {
        sql.append(i == 0 ? "" : " OR ").append(probe);
      }
      try (PreparedStatement st = connection.prepareStatement(sql.toString())) {
        int at = 1;
        for (Map.Entry<List<Object>, Object[]> e : ranges.entrySet()) {
          for (Object v : e.getKey()) {
            Table.bindValue(st, at++, v);
          }
          Table.bindValue(st, at++, e.getValue()[0]);
          Table.bindValue(st, at++, e.getValue()[1]);
        }
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          return !rs.getBoolean(1);
        }
      }
    }

    /** EXISTS (a stored row with this key prefix and the last key column in [?, ?]). */
    private String rangeProbe() {
      List<String> keys = table.keyColumns();
      StringBuilder p = new StringBuilder("EXISTS (SELECT 1 FROM ").append(Table.q(table.name()));
      p.append(" WHERE ");
      for (int k = 0; k < keys.size() - 1; k++) {
        p.append(Table.q(keys.get(k))).append(" = ? AND ");
      }
      p.append(Table.q(keys.get(keys.size() - 1))).append(" BETWEEN ? AND ?)");
      return p.toString();
    }

    @SuppressWarnings("unchecked")
    private static int compare(Object a, Object b) {
      return ((Comparable<Object>) a).compareTo(b);
    }

    /** COPY into the staging table, then one MERGE or INSERT ... SELECT ... ON CONFLICT. */
    private long writeThroughStaging(List<T> batch, boolean viaMerge) throws SQLException {
      String staging = stagingTable();
      if (!stagingReady) {
        try (Statement st = connection.createStatement()) {
          st.execute(
              "CREATE TEMP TABLE IF NOT EXISTS "
                  + Table.q(staging)
                  + " (LIKE "
                  + Table.q(table.name())
                  + ") ON COMMIT DELETE ROWS");
          if (merge) {
            // This session only runs these upserts. Without this, PostgreSQL joins a batch of a
            // few thousand rows or more by hashing the whole target table (565 ms instead of
            // 212 ms for 50,000 rows against 1M, and growing with the table) instead of
            // looking each staged key up in the primary key.
            st.execute("SET enable_hashjoin = off");
            st.execute("SET enable_mergejoin = off");
          }
        }
        connection.commit();
        stagingReady = true;
      }
      long t0 = System.nanoTime();
      copyIn(staging, batch);
      long t1 = System.nanoTime();
      long changed;
      try (Statement st = connection.createStatement()) {
        changed =
            st.executeUpdate(viaMerge ? table.mergeFromSql(staging) : table.upsertFromSql(staging));
      }
      connection.commit();
      stageCopyNanos += t1 - t0;
      mergeNanos += System.nanoTime() - t1;
      mergedBatches++;
      mergedRows += batch.size();
      return changed;
    }

    /** Streams the batch into {@code target} by COPY, binary or CSV ({@link #BINARY_COPY}). */
    private void copyIn(String target, List<T> batch) throws SQLException {
      String cols = table.columns().stream().map(Table::q).collect(Collectors.joining(", "));
      CopyIn copy =
          connection
              .unwrap(PGConnection.class)
              .getCopyAPI()
              .copyIn(
                  "COPY "
                      + Table.q(target)
                      + " ("
                      + cols
                      + ") FROM STDIN "
                      + (BINARY_COPY ? "(FORMAT binary)" : "(FORMAT csv)"));
      try {
        if (BINARY_COPY) {
          binary.reset();
          binary.write(BINARY_HEADER, 0, BINARY_HEADER.length);
          for (T row : batch) {
            appendBinaryRow(row);
            if (binary.size() >= COPY_CHUNK) {
              sendBinary(copy);
            }
          }
          binary.writeShort(-1);
          sendBinary(copy);
        } else {
          chunk.setLength(0);
          for (T row : batch) {
            table.appendCopyRow(chunk, row);
            if (chunk.length() >= COPY_CHUNK) {
              send(copy);
            }
          }
          send(copy);
        }
        copy.endCopy();
      } finally {
        if (copy.isActive()) {
          try {
            copy.cancelCopy();
          } catch (SQLException e) {
            LOG.debug("cancelling COPY failed: {}", e.getMessage());
          }
        }
      }
    }

    /**
     * One row in PostgreSQL's binary COPY format: String as text (UTF-8), Instant as timestamptz
     * (microseconds since 2000-01-01 UTC), Double as float8, Long as int8, Boolean as bool: the
     * types of every warehouse table's columns ({@link WarehouseSchema}).
     */
    private void appendBinaryRow(T row) {
      Object[] values = table.values(row);
      binary.writeShort(values.length);
      for (Object v : values) {
        if (v == null) {
          binary.writeInt(-1);
        } else if (v instanceof String) {
          byte[] b = ((String) v).getBytes(StandardCharsets.UTF_8);
          binary.writeInt(b.length);
          binary.write(b, 0, b.length);
        } else if (v instanceof Instant) {
          Instant t = (Instant) v;
          binary.writeInt(8);
          binary.writeLong(
              (t.getEpochSecond() - PG_EPOCH_SECONDS) * 1_000_000L + t.getNano() / 1000);
        } else if (v instanceof Double) {
          binary.writeInt(8);
          binary.writeLong(Double.doubleToRawLongBits((Double) v));
        } else if (v instanceof Long) {
          binary.writeInt(8);
          binary.writeLong((Long) v);
        } else if (v instanceof Boolean) {
          binary.writeInt(1);
          binary.write((Boolean) v ? 1 : 0);
        } else {
          throw new IllegalArgumentException(
              table.name() + ": no binary COPY encoding for " + v.getClass().getName());
        }
      }
    }

    private void sendBinary(CopyIn copy) throws SQLException {
      if (binary.size() == 0) {
        return;
      }
      copy.writeToCopy(binary.buffer(), 0, binary.size());
      binary.reset();
    }

    private void send(CopyIn copy) throws SQLException {
      if (chunk.length() == 0) {
        return;
      }
      byte[] bytes = chunk.toString().getBytes(StandardCharsets.UTF_8);
      copy.writeToCopy(bytes, 0, bytes.length);
      chunk.setLength(0);
    }
  }

  /** A growable byte buffer with big-endian writes and no copy to send it. */
  static final class BinaryBuffer {
    private byte[] buf;
    private int size;

    BinaryBuffer(int capacity) {
      buf = new byte[capacity];
    }

    void reset() {
      size = 0;
    }

    int size() {
      return size;
    }

    byte[] buffer() {
      return buf;
    }

    private void ensure(int more) {
      if (size + more > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
      }
    }

    void write(int b) {
      ensure(1);
      buf[size++] = (byte) b;
    }

    void write(byte[] b, int off, int len) {
      ensure(len);
      System.arraycopy(b, off, buf, size, len);
      size += len;
    }

    void writeShort(int v) {
      ensure(2);
      buf[size++] = (byte) (v >>> 8);
      buf[size++] = (byte) v;
    }

    void writeInt(int v) {
      ensure(4);
      buf[size++] = (byte) (v >>> 24);
      buf[size++] = (byte) (v >>> 16);
      buf[size++] = (byte) (v >>> 8);
      buf[size++] = (byte) v;
    }

    void writeLong(long v) {
      writeInt((int) (v >>> 32));
      writeInt((int) v);
    }
  }
}
