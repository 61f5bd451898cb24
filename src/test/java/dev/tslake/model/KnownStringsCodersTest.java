package dev.tslake.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;

/**
 * Coders holding a dictionary of a batch run's sources and files: strings in it travel as ids,
 * anything else as text, and a worker's deserialized copy decodes what the launcher's encoded.
 */
class KnownStringsCodersTest {
  static final String BENCH_FILE = "/work/tslake/target/peers/data/obs_1000000.csv";

  static final KnownStrings KNOWN =
      KnownStrings.of(List.of("bench", "fred", BENCH_FILE, "/data/observations.csv"));

  static final List<Observation> OBSERVATIONS = new ArrayList<>(FramedCodersTest.OBSERVATIONS);
  static final List<RawRecord> RAWS = new ArrayList<>(FramedCodersTest.RAWS);

  static {
    // in the dictionary (source and origin), one of them only, neither
    OBSERVATIONS.add(
        new Observation(
            "bench", "S01", 1_704_067_200_000L, 1.5, Observation.UNKNOWN_VINTAGE, BENCH_FILE, "l"));
    OBSERVATIONS.add(new Observation("bench", "S01", 0L, null, 1L, "/later/matched.csv", "l"));
    RAWS.add(RawRecord.of("bench", BENCH_FILE, "line 9", "S01", "2024-01-01T00:00:00Z", "1", ""));
    RAWS.add(RawRecord.inputStart("bench", BENCH_FILE, 0, 3));
    RAWS.add(RawRecord.inputEnd("other", BENCH_FILE, 2, 3, 17));
  }

  @Test
  void roundTripsInAndOutOfTheDictionary() throws Exception {
    Observation.Coder obs = Observation.Coder.withKnown(KNOWN);
    RawRecord.Coder raw = RawRecord.Coder.withKnown(KNOWN);
    for (Observation o : OBSERVATIONS) {
      CoderProperties.coderDecodeEncodeEqual(obs, o);
      CoderProperties.coderDeterministic(obs, o, copy(o));
      CoderProperties.structuralValueDecodeEncodeEqual(obs, o);
      CoderProperties.coderDecodeEncodeEqual(KvCoder.of(StringUtf8Coder.of(), obs), KV.of("k", o));
    }
    for (RawRecord r : RAWS) {
      CoderProperties.coderDecodeEncodeEqual(raw, r);
      CoderProperties.coderDeterministic(raw, r, CoderUtils.clone(RawRecord.Coder.of(), r));
      CoderProperties.structuralValueDecodeEncodeEqual(raw, r);
    }
    obs.verifyDeterministic();
    raw.verifyDeterministic();
  }

  @Test
  void aWorkersDeserializedCopyDecodesWhatTheLauncherEncoded() throws Exception {
    Observation.Coder launcher = Observation.Coder.withKnown(KNOWN);
    CoderProperties.coderSerializable(launcher);
    CoderProperties.coderSerializable(RawRecord.Coder.withKnown(KNOWN));
    @SuppressWarnings("unchecked")
    Observation.Coder worker = (Observation.Coder) SerializableUtils.clone((Coder<?>) launcher);
    assertEquals(launcher, worker);
    for (Observation o : OBSERVATIONS) {
      byte[] bytes = CoderUtils.encodeToByteArray(launcher, o);
      assertEquals(o, CoderUtils.decodeFromByteArray(worker, bytes));
    }
    RawRecord.Coder rawWorker =
        (RawRecord.Coder) SerializableUtils.clone((Coder<?>) RawRecord.Coder.withKnown(KNOWN));
    for (RawRecord r : RAWS) {
      byte[] bytes = CoderUtils.encodeToByteArray(RawRecord.Coder.withKnown(KNOWN), r);
      assertEquals(r, CoderUtils.decodeFromByteArray(rawWorker, bytes));
    }
    // decoded known strings are the dictionary's own instances: no allocation per record
    Observation a = CoderUtils.clone(worker, OBSERVATIONS.get(OBSERVATIONS.size() - 2));
    Observation b = CoderUtils.clone(worker, OBSERVATIONS.get(OBSERVATIONS.size() - 2));
    assertSame(a.origin, b.origin);
    assertSame(a.source, b.source);
  }

  /**
   * Each operator deserializes its own copy of the coders; all copies in a JVM hold the same string
   * instances, so what one copy decoded another finds by identity when it encodes.
   */
  @Test
  void copiesInOneJvmShareTheirStrings() throws Exception {
    Observation.Coder launcher = Observation.Coder.withKnown(KNOWN);
    @SuppressWarnings("unchecked")
    Observation.Coder first = (Observation.Coder) SerializableUtils.clone((Coder<?>) launcher);
    @SuppressWarnings("unchecked")
    Observation.Coder second = (Observation.Coder) SerializableUtils.clone((Coder<?>) launcher);
    Observation o = OBSERVATIONS.get(OBSERVATIONS.size() - 2);
    Observation viaFirst = CoderUtils.clone(first, o);
    Observation viaSecond = CoderUtils.clone(second, o);
    assertSame(viaFirst.origin, viaSecond.origin);
    assertSame(viaFirst.source, viaSecond.source);
    assertSame(BENCH_FILE.intern(), viaFirst.origin);
    // and a string built apart (not the same instance) is still found by its text
    String rebuilt = new String(BENCH_FILE.toCharArray());
    Observation apart =
        new Observation("bench", "S01", 0L, 1.0, Observation.UNKNOWN_VINTAGE, rebuilt, "l");
    byte[] encoded = CoderUtils.encodeToByteArray(first, apart);
    assertTrue(
        encoded.length < BENCH_FILE.length(),
        "the origin written as its id: " + encoded.length + " bytes in all");
    assertSame(BENCH_FILE.intern(), CoderUtils.clone(second, apart).origin);
  }

  @Test
  void withoutADictionaryTheFormatIsTheOriginal() throws Exception {
    assertSame(Observation.Coder.of(), Observation.Coder.withKnown(KnownStrings.empty()));
    assertSame(RawRecord.Coder.of(), RawRecord.Coder.withKnown(KnownStrings.of(List.of())));
    assertNotEquals(Observation.Coder.of(), Observation.Coder.withKnown(KNOWN));
    assertEquals(
        Observation.Coder.withKnown(KNOWN),
        Observation.Coder.withKnown(
            KnownStrings.of(List.of("bench", "fred", BENCH_FILE, "/data/observations.csv"))));
  }

  @Test
  void anUnknownIdIsAnErrorNotAWrongString() throws Exception {
    Observation o = OBSERVATIONS.get(OBSERVATIONS.size() - 2);
    byte[] bytes = CoderUtils.encodeToByteArray(Observation.Coder.withKnown(KNOWN), o);
    Observation.Coder smaller = Observation.Coder.withKnown(KnownStrings.of(List.of("bench")));
    assertThrows(IOException.class, () -> smaller.decode(new ByteArrayInputStream(bytes)));
  }

  @Test
  void theDictionaryIsCapped() throws Exception {
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      many.add("/data/file-" + i + ".csv");
    }
    assertEquals(KnownStrings.MAX_ENTRIES, KnownStrings.of(many).size());
    List<String> longOnes = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      longOnes.add(i + "x".repeat(10_000));
    }
    assertTrue(KnownStrings.of(longOnes).size() <= KnownStrings.MAX_CHARS / 10_000);
    // past the cap a string is text, and still round trips
    Observation.Coder capped = Observation.Coder.withKnown(KnownStrings.of(many));
    Observation late =
        new Observation("bench", "S", 0L, 1.0, 1L, many.get(many.size() - 1), "line 2");
    CoderProperties.coderDecodeEncodeEqual(capped, late);
  }

  @Test
  void theRegistryOfABatchGraphHandsOutTheDictionaryCoders() {
    org.apache.beam.sdk.Pipeline p =
        org.apache.beam.sdk.Pipeline.create(PipelineOptionsFactory.create());
    assertSame(Observation.Coder.of(), Observation.Coder.in(p));
    KNOWN.registerIn(p);
    assertEquals(Observation.Coder.withKnown(KNOWN), Observation.Coder.in(p));
    assertEquals(RawRecord.Coder.withKnown(KNOWN), RawRecord.Coder.in(p));
  }

  /** Encoded bytes per record of the benchmark's shape, with and without the dictionary. */
  @Test
  void printsEncodedBytesPerRecord() throws Exception {
    Observation o =
        new Observation(
            "bench",
            "S0007",
            1_704_067_200_000L,
            766.7085,
            Observation.UNKNOWN_VINTAGE,
            BENCH_FILE,
            "line 523456");
    RawRecord r =
        RawRecord.of(
            "bench", BENCH_FILE, "line 523456", "S0007", "2024-01-01T00:00:00Z", "766.7085", "");
    int obsPlain = CoderUtils.encodeToByteArray(Observation.Coder.of(), o).length;
    int obsKnown = CoderUtils.encodeToByteArray(Observation.Coder.withKnown(KNOWN), o).length;
    int rawPlain = CoderUtils.encodeToByteArray(RawRecord.Coder.of(), r).length;
    int rawKnown = CoderUtils.encodeToByteArray(RawRecord.Coder.withKnown(KNOWN), r).length;
    System.out.printf(
        "encoded bytes (origin %d chars): observation %d -> %d, raw record %d -> %d%n",
        BENCH_FILE.length(), obsPlain, obsKnown, rawPlain, rawKnown);
    assertTrue(obsKnown < obsPlain && rawKnown < rawPlain);
  }

  private static Observation copy(Observation o) {
    return new Observation(
        new String(o.source),
        new String(o.seriesId),
        o.ts,
        o.value,
        o.vintage,
        new String(o.origin),
        new String(o.locator),
        o.stored);
  }
}
