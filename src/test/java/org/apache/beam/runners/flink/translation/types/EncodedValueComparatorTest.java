package org.apache.beam.runners.flink.translation.types;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.apache.beam.sdk.util.ReleaseInfo;
import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.typeutils.TypeComparator;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.core.memory.MemorySegment;
import org.apache.flink.core.memory.MemorySegmentFactory;
import org.junit.jupiter.api.Test;

/**
 * tslake's {@link EncodedValueComparator}: the runner creates it, and its normalized keys order
 * keys as its comparisons do, so Flink's sorter may trust them.
 */
class EncodedValueComparatorTest {

  @Test
  void theRunnersTypeInformationCreatesThisComparator() {
    TypeComparator<byte[]> c =
        new EncodedValueTypeInformation().createComparator(true, new ExecutionConfig());
    assertTrue(c instanceof EncodedValueComparator);
    assertTrue(c.supportsNormalizedKey(), "Beam's own comparator was loaded, not tslake's");
    // the replacement is written against this runner's use of the class (its name, constructor
    // and the key type info that creates it): re-check it, or drop it, when Beam moves on
    assertEquals(
        "2.62.0",
        ReleaseInfo.getReleaseInfo().getSdkVersion(),
        "Beam changed: check src/main/java/org/apache/beam/runners/flink/translation/types/"
            + "EncodedValueComparator.java against the new runner (docs/performance.md, H20)");
  }

  private static byte[] randomKey(Random r) {
    // short keys with shared prefixes, zero bytes and bytes >= 0x80 (signed order differs there)
    byte[] alphabet = {0, 1, 0x7f, (byte) 0x80, (byte) 0xff, 'a'};
    byte[] k = new byte[r.nextInt(12)];
    for (int i = 0; i < k.length; i++) {
      k[i] = r.nextInt(3) == 0 ? (byte) r.nextInt(256) : alphabet[r.nextInt(alphabet.length)];
    }
    return k;
  }

  private static int sign(int x) {
    return Integer.signum(x);
  }

  @Test
  void normalizedKeysOrderAsTheComparatorDoes() throws Exception {
    EncodedValueComparator c = new EncodedValueComparator(true);
    Random r = new Random(11);
    MemorySegment seg = MemorySegmentFactory.wrap(new byte[32]);
    int decidedByNormalizedKey = 0;
    for (int i = 0; i < 200_000; i++) {
      byte[] a = randomKey(r);
      byte[] b = r.nextInt(10) == 0 ? a.clone() : randomKey(r);
      int keyBytes = 1 + r.nextInt(8);
      c.putNormalizedKey(a, seg, 0, keyBytes);
      c.putNormalizedKey(b, seg, 16, keyBytes);
      int byNormalized = sign(seg.compare(seg, 0, 16, keyBytes));
      int full = sign(c.compare(a, b));
      if (byNormalized != 0) {
        decidedByNormalizedKey++;
        assertEquals(full, byNormalized, Arrays.toString(a) + " vs " + Arrays.toString(b));
      }
      // a total order, equal exactly when the bytes are
      assertEquals(-full, sign(c.compare(b, a)));
      assertEquals(Arrays.equals(a, b), full == 0);
      // and the same from the serialized form the sorter falls back to
      assertEquals(full, sign(compareSerialized(c, a, b)));
    }
    assertTrue(
        decidedByNormalizedKey > 100_000, "normalized keys decided " + decidedByNormalizedKey);
  }

  @Test
  void referenceComparisonsFollowTheSameOrder() {
    EncodedValueComparator left = new EncodedValueComparator(true);
    EncodedValueComparator right = new EncodedValueComparator(true);
    byte[] small = {1, 2};
    byte[] big = {1, (byte) 0x90};
    left.setReference(small);
    right.setReference(big);
    // Flink's contract: compareToReference(other) compares other's reference with this one's
    assertTrue(left.compareToReference(right) > 0);
    assertTrue(right.compareToReference(left) < 0);
    assertTrue(left.equalToReference(new byte[] {1, 2}));
    assertFalse(left.equalToReference(big));
    assertEquals(Arrays.hashCode(big), left.hash(big));
    EncodedValueComparator descending = new EncodedValueComparator(false);
    assertTrue(descending.compare(small, big) > 0);
    assertTrue(descending.invertNormalizedKey());
  }

  private static int compareSerialized(EncodedValueComparator c, byte[] a, byte[] b)
      throws Exception {
    EncodedValueSerializer s = new EncodedValueSerializer();
    DataOutputSerializer outA = new DataOutputSerializer(32);
    DataOutputSerializer outB = new DataOutputSerializer(32);
    s.serialize(a, outA);
    s.serialize(b, outB);
    return c.compareSerialized(
        new DataInputDeserializer(outA.getCopyOfBuffer()),
        new DataInputDeserializer(outB.getCopyOfBuffer()));
  }
}
