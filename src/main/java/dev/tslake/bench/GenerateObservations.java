package dev.tslake.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Writes a benchmark input: {@code source,series_id,ts,value}, one row per minute per series over K
 * series (random walks), with about 0.5% dirty rows: an empty value, FRED's ".", a non-numeric
 * value, a malformed timestamp, an exact duplicate row, or a later revision of an earlier
 * (series_id, ts). Deterministic for a given seed.
 *
 * <p>Usage: {@code GenerateObservations <rows> <series> <out.csv> [seed]}
 */
public final class GenerateObservations {
  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

  private GenerateObservations() {}

  /** What was written, by kind, so a benchmark can check the run's accounting. */
  public static final class Counts {
    public long rows;
    public long clean;
    public long emptyValue;
    public long dotValue;
    public long nonNumeric;
    public long badTimestamp;
    public long duplicates;
    public long revisions;

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%d rows: %d clean, %d empty, %d '.', %d non-numeric,"
              + " %d bad timestamps, %d exact duplicates, %d revisions",
          rows,
          clean,
          emptyValue,
          dotValue,
          nonNumeric,
          badTimestamp,
          duplicates,
          revisions);
    }
  }

  public static Counts write(long rows, int series, Path out, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    double[] level = new double[series];
    for (int k = 0; k < series; k++) {
      level[k] = 100 + random.nextDouble() * 900;
    }
    long start = Instant.parse("2024-01-01T00:00:00Z").toEpochMilli();
    Counts c = new Counts();
    String previous = null;
    String earlier = null; // a row from a while ago, to revise
    Files.createDirectories(out.toAbsolutePath().getParent());
    try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
      w.write("source,series_id,ts,value\n");
      long minute = 0;
      while (c.rows < rows) {
        String ts = TS.format(Instant.ofEpochMilli(start + minute * 60_000L));
        for (int k = 0; k < series && c.rows < rows; k++) {
          level[k] = Math.max(0.01, level[k] * (1 + random.nextGaussian() * 0.001));
          String id = String.format(Locale.ROOT, "S%05d", k);
          String value = String.format(Locale.ROOT, "%.4f", level[k]);
          String row;
          double dice = random.nextDouble();
          if (dice < 0.001) {
            row = "bench," + id + "," + ts + ",";
            c.emptyValue++;
          } else if (dice < 0.002) {
            row = "bench," + id + "," + ts + ",.";
            c.dotValue++;
          } else if (dice < 0.003) {
            row = "bench," + id + "," + ts + ",n/a-" + random.nextInt(100);
            c.nonNumeric++;
          } else if (dice < 0.004) {
            row = "bench," + id + "," + ts.replace('T', '/').substring(0, 13) + "," + value;
            c.badTimestamp++;
          } else if (dice < 0.0045 && previous != null) {
            row = previous;
            c.duplicates++;
          } else if (dice < 0.005 && earlier != null) {
            String[] f = earlier.split(",");
            row =
                f[0]
                    + ","
                    + f[1]
                    + ","
                    + f[2]
                    + ","
                    + String.format(Locale.ROOT, "%.4f", Double.parseDouble(f[3]) * 1.01);
            c.revisions++;
          } else {
            row = "bench," + id + "," + ts + "," + value;
            c.clean++;
            if (random.nextInt(1000) == 0) {
              earlier = row;
            }
          }
          w.write(row);
          w.write('\n');
          previous = row;
          c.rows++;
        }
        minute++;
      }
    }
    return c;
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 3) {
      System.err.println("usage: GenerateObservations <rows> <series> <out.csv> [seed]");
      System.exit(2);
    }
    long rows = Long.parseLong(args[0].replace("_", ""));
    int series = Integer.parseInt(args[1]);
    long seed = args.length > 3 ? Long.parseLong(args[3]) : 42;
    Counts c = write(rows, series, Path.of(args[2]), seed);
    System.out.println(c);
  }
}
