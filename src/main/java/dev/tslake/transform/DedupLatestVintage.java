package dev.tslake.transform;

import dev.tslake.model.Observation;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * One observation per (source, series_id, ts): the latest vintage wins (ties broken by origin and
 * position, so a rerun picks the same winner). Outputs the winners and how many records were
 * superseded, so the run can account for every record.
 *
 * <p>One {@link GroupByKey} and nothing else crosses the shuffle: no combiner, because almost every
 * key is unique and a combiner lifted before the shuffle only adds a hash map per key and a second
 * sort. The group key is either the observation's key itself ({@code withShards(0)}: for runners
 * that sort their groups, Flink and Dataflow) or a hash shard of it (the default: the DirectRunner
 * schedules work per group, so it wants few groups; each shard's winners are picked with a hash map
 * after the shuffle).
 *
 * <p>Stored rows in the input ({@link Observation#stored}, at most one per key) take part as the
 * warehouse's own rule has it: the run's best record replaces the stored row when its vintage is
 * not older ({@code incoming.vintage >= stored.vintage}, unknown vintage oldest); otherwise every
 * record of the run for that key is superseded and the stored row goes to {@link #STORED}. A stored
 * row that loses is not counted: it was not read by this run.
 *
 * <p>Per-key group keys are bytes laid out for a sorting shuffle: a {@link #sortPrefix} of the
 * series and the time, a 64-bit hash of (source, series), the timestamp, then the exact text.
 * Flink's sorter compares the first eight bytes of a key in place and decodes both keys only when
 * those tie; with the plain text key ({@code "source\0series\0ts"}), or the series hash first, they
 * tied within a series and most comparisons decoded. The series first also keeps a series'
 * observations together and in time order, which is the order the warehouse's index likes to be
 * filled in.
 */
public final class DedupLatestVintage
    extends PTransform<PCollection<Observation>, PCollectionTuple> {
  public static final TupleTag<Observation> LATEST = new TupleTag<Observation>() {};
  public static final TupleTag<Long> SUPERSEDED = new TupleTag<Long>() {};

  /**
   * Stored rows (read back from the warehouse, {@link Observation#stored}) that stay what the
   * warehouse keeps for their key: no record of this run replaces them. They are not loaded again,
   * but the windows they lie in are recomputed with them.
   */
  public static final TupleTag<Observation> STORED = new TupleTag<Observation>() {};

  /**
   * One record per distinct (source, series_id, ts, vintage) this run read, whatever won: the
   * history of table {@code observation_vintages}. Records without a vintage are left out (nothing
   * says when they were published, so no as-of query could place them); of two records of the same
   * vintage, the one {@link Observation#compareRecency} prefers, as for {@link #LATEST}. Computed
   * in the same pass: no shuffle of its own.
   */
  public static final TupleTag<Observation> VINTAGES = new TupleTag<Observation>() {};

  static final int DEFAULT_SHARDS = 64;
  private final int shards;
  private final boolean bySeries;

  private DedupLatestVintage(int shards, boolean bySeries) {
    this.shards = shards;
    this.bySeries = bySeries;
  }

  public static DedupLatestVintage create() {
    return new DedupLatestVintage(DEFAULT_SHARDS, false);
  }

  /**
   * Groups by a hash shard of the key ({@code n >= 1}), or by the key itself ({@code n == 0}): a
   * runner that sorts its groups (Flink, Dataflow) needs no per-shard hash map then.
   */
  public DedupLatestVintage withShards(int n) {
    if (n < 0 || n > 65535) {
      throw new IllegalArgumentException("shards must be 0 (one group per key) to 65535");
    }
    return new DedupLatestVintage(n, bySeries);
  }

  /**
   * With shards, puts each series whole in one shard (a hash of source and series only), instead of
   * spreading its timestamps over all shards. For the DirectRunner: it keeps a group's rows as
   * state and copies (encodes and decodes) the whole buffer every time another bundle adds to it,
   * and a bundle of input (a file, a range of one) mostly holds one series, so it then adds to one
   * shard instead of every shard. On the default job (47 bundles into 8 shards) the grouping's
   * thread time fell from 6.1 s to 2.0 s. Runners that sort their groups do not copy; there
   * spreading balances the workers better.
   */
  public DedupLatestVintage bySeries(boolean wholeSeries) {
    return new DedupLatestVintage(shards, wholeSeries);
  }

  @Override
  public PCollectionTuple expand(PCollection<Observation> input) {
    Observation.Coder coder = Observation.Coder.in(input.getPipeline());
    PCollectionTuple out =
        input
            .apply("KeyForDedup", ParDo.of(new KeyFn(shards, bySeries)))
            .setCoder(KvCoder.of(ByteArrayCoder.of(), coder))
            .apply("GroupCandidates", GroupByKey.create())
            .apply(
                "PickLatest",
                ParDo.of(new PickLatestFn())
                    .withOutputTags(LATEST, TupleTagList.of(SUPERSEDED).and(STORED).and(VINTAGES)));
    out.get(LATEST).setCoder(coder);
    out.get(VINTAGES).setCoder(coder);
    out.get(STORED).setCoder(coder);
    out.get(SUPERSEDED).setCoder(VarLongCoder.of());
    return out;
  }

  /** 64-bit hash of (source, series): spreads series over the key space, stable across JVMs. */
  public static long seriesHash(String source, String seriesId) {
    long h = 0x9E3779B97F4A7C15L;
    h = mix(h ^ source.hashCode());
    h = mix(h ^ seriesId.hashCode());
    return mix(h ^ seriesId.length());
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ceb93fe1a85ec3L;
    return z ^ (z >>> 33);
  }

  /** Bytes of {@link #sortPrefix} in front of a per-key group key. */
  static final int SORT_PREFIX = 8;

  /**
   * The first eight bytes of a per-key group key, which is all of a key Flink's sorter compares
   * without decoding it (its normalized key: eight bytes for a key of one field, with tslake's
   * {@code EncodedValueComparator}): 16 bits of the series hash, then the time in units of 1,024
   * ms, offset to sort unsigned (48 bits: up to 4.5 million years either side of 1970). Two
   * observations of a series tie here only within about a second (or when two series share 16 bits
   * of hash); the exact key after it decides then. With the series hash alone in those bytes, every
   * comparison within a series tied and decoded both records' keys.
   */
  static long sortPrefix(long seriesHash, long ts) {
    // times beyond +-2^57 ms (4.5 million years) share the end values: the exact key decides
    long units = Math.max(0, Math.min(TIME_UNITS - 1, (ts >> 10) + TIME_UNITS / 2));
    return ((seriesHash >>> 48) << 48) | units;
  }

  /** 48 bits of time in units of 1,024 ms, centred on the epoch. */
  private static final long TIME_UNITS = 1L << 48;

  /**
   * The group key of one observation: its exact key, behind a sort prefix; or its shard (with
   * {@code bySeries}, one shard per series).
   */
  static byte[] groupKey(Observation o, int shards, boolean bySeries) {
    if (shards > 0) {
      long h = seriesHash(o.source, o.seriesId);
      int shard = (int) Math.floorMod(bySeries ? h : h ^ mix(o.ts), (long) shards);
      return new byte[] {(byte) (shard >>> 8), (byte) shard};
    }
    byte[] source = o.source.getBytes(StandardCharsets.UTF_8);
    byte[] series = o.seriesId.getBytes(StandardCharsets.UTF_8);
    long hash = seriesHash(o.source, o.seriesId);
    return ByteBuffer.allocate(SORT_PREFIX + 16 + source.length + 1 + series.length)
        .putLong(sortPrefix(hash, o.ts))
        .putLong(hash)
        .putLong(o.ts ^ Long.MIN_VALUE) // sign flipped: unsigned byte order = time order
        .put(source)
        .put((byte) 0)
        .put(series)
        .array();
  }

  static final class KeyFn extends DoFn<Observation, KV<byte[], Observation>> {
    private final int shards;
    private final boolean bySeries;

    KeyFn(int shards, boolean bySeries) {
      this.shards = shards;
      this.bySeries = bySeries;
    }

    @ProcessElement
    public void process(@Element Observation o, OutputReceiver<KV<byte[], Observation>> out) {
      out.output(KV.of(groupKey(o, shards, bySeries), o));
    }
  }

  /** (source, series, ts) without building a string per record. */
  private static final class ObsKey {
    final String source;
    final String seriesId;
    final long ts;

    ObsKey(Observation o) {
      this.source = o.source;
      this.seriesId = o.seriesId;
      this.ts = o.ts;
    }

    @Override
    public boolean equals(Object other) {
      if (!(other instanceof ObsKey)) {
        return false;
      }
      ObsKey k = (ObsKey) other;
      return ts == k.ts && seriesId.equals(k.seriesId) && source.equals(k.source);
    }

    @Override
    public int hashCode() {
      return Objects.hash(source, seriesId, ts);
    }
  }

  /** One key's candidates: the best record of this run, how many there were, the stored row. */
  private static final class Candidates {
    Observation best;
    long records;
    Observation stored;

    /** The preferred record of the only vintage seen so far (most keys have one). */
    Observation oneVintage;

    /** The preferred record per vintage, once a key has several. */
    Map<Long, Observation> vintages;

    void add(Observation o) {
      if (o.stored) {
        stored = o;
        return;
      }
      records++;
      if (best == null || Observation.compareRecency(o, best) > 0) {
        best = o;
      }
      if (o.hasVintage()) {
        addVintage(o);
      }
    }

    private void addVintage(Observation o) {
      if (vintages == null) {
        if (oneVintage == null) {
          oneVintage = o;
          return;
        }
        if (oneVintage.vintage == o.vintage) {
          oneVintage = preferred(oneVintage, o);
          return;
        }
        vintages = new HashMap<>();
        vintages.put(oneVintage.vintage, oneVintage);
      }
      vintages.merge(o.vintage, o, Candidates::preferred);
    }

    private static Observation preferred(Observation a, Observation b) {
      return Observation.compareRecency(a, b) >= 0 ? a : b;
    }

    void emitVintages(DoFn.MultiOutputReceiver out) {
      if (vintages != null) {
        vintages.values().forEach(out.get(VINTAGES)::output);
      } else if (oneVintage != null) {
        out.get(VINTAGES).output(oneVintage);
      }
    }

    Observation any() {
      return best != null ? best : stored;
    }
  }

  /**
   * One key's records of a batch run with no stored row (the one-pass batch graph, which dedups
   * after its own grouping): feeds {@code vintages} what {@link #VINTAGES} would hold for the key
   * and returns the winner, as {@link #LATEST} has it; the other records are superseded.
   */
  public static Observation pick(List<Observation> sameKey, Consumer<Observation> vintages) {
    Candidates c = new Candidates();
    for (Observation o : sameKey) {
      if (o.stored) {
        throw new IllegalArgumentException("pick takes no stored rows: " + o);
      }
      c.add(o);
    }
    if (c.vintages != null) {
      c.vintages.values().forEach(vintages);
    } else if (c.oneVintage != null) {
      vintages.accept(c.oneVintage);
    }
    return c.best;
  }

  public static final Comparator<Observation> BY_KEY =
      Comparator.comparing((Observation o) -> o.source)
          .thenComparing(o -> o.seriesId)
          .thenComparingLong(o -> o.ts);

  /**
   * Picks each key's winner. Superseded counts are summed per bundle and emitted once, so the count
   * output stays a handful of elements whatever the input size.
   */
  static final class PickLatestFn extends DoFn<KV<byte[], Iterable<Observation>>, Observation> {
    private final Counter superseded = Metrics.counter(DedupLatestVintage.class, "superseded");
    private transient long dropped;

    @StartBundle
    public void startBundle() {
      dropped = 0;
    }

    @ProcessElement
    public void process(@Element KV<byte[], Iterable<Observation>> group, MultiOutputReceiver out) {
      if (group.getKey().length > 2) { // one key per group
        Candidates c = new Candidates();
        for (Observation o : group.getValue()) {
          c.add(o);
        }
        emit(c, out);
        return;
      }
      Map<ObsKey, Candidates> byKey = new HashMap<>();
      for (Observation o : group.getValue()) {
        byKey.computeIfAbsent(new ObsKey(o), k -> new Candidates()).add(o);
      }
      List<Candidates> keys = new ArrayList<>(byKey.values());
      keys.sort(Comparator.comparing(Candidates::any, BY_KEY)); // the index fills faster in order
      for (Candidates c : keys) {
        emit(c, out);
      }
    }

    private void emit(Candidates c, MultiOutputReceiver out) {
      c.emitVintages(out);
      if (c.best == null) {
        out.get(STORED).output(c.stored); // nothing of this run for the key
        return;
      }
      if (c.stored != null && c.stored.vintage > c.best.vintage) {
        dropped += c.records; // the warehouse holds a newer vintage
        out.get(STORED).output(c.stored);
        return;
      }
      dropped += c.records - 1;
      out.get(LATEST).output(c.best);
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext ctx) {
      if (dropped > 0) {
        superseded.inc(dropped);
        ctx.output(
            SUPERSEDED, dropped, GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
      }
    }
  }
}
