package dev.tslake.quality;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.SerializableUtils;
import org.junit.jupiter.api.Test;

/** The profiles' varint coder decodes what it encoded, whatever the fields hold. */
class SeriesProfileCoderTest {

  private static SeriesProfile random(Random r, int checks) {
    SeriesProfile p = new SeriesProfile(checks);
    p.rows = r.nextInt(3) == 0 ? 0 : Math.abs(r.nextLong());
    p.missing = r.nextInt(1000);
    p.maxTs = r.nextInt(4) == 0 ? Long.MIN_VALUE : r.nextLong();
    for (int i = 0; i < checks; i++) {
      p.evaluated[i] = r.nextInt(10_000);
      int violations = r.nextInt(9);
      for (int v = 0; v < violations; v++) {
        p.violation(i, r.nextBoolean() ? r.nextLong() : -r.nextInt(1000));
      }
    }
    int ts = r.nextInt(3) == 0 ? 0 : r.nextInt(200);
    for (int i = 0; i < ts; i++) {
      p.addTs(r.nextBoolean() ? r.nextLong() : 1_700_000_000_000L + i * 60_000L);
    }
    return p;
  }

  @Test
  void decodesWhatItEncoded() throws Exception {
    Random r = new Random(7);
    for (int i = 0; i < 2_000; i++) {
      SeriesProfile p = random(r, r.nextInt(5));
      SeriesProfile back =
          CoderUtils.decodeFromByteArray(
              SeriesProfile.coder(), CoderUtils.encodeToByteArray(SeriesProfile.coder(), p));
      assertEquals(p, back);
      assertEquals(p.violations.length, back.violations.length);
      for (int c = 0; c < p.violations.length; c++) {
        assertArrayEquals(p.examples[c], back.examples[c]);
        assertEquals(p.evaluated[c], back.evaluated[c]);
      }
      CoderProperties.coderDecodeEncodeEqual(SeriesProfile.coder(), p);
    }
  }

  @Test
  void anEmptyProfileStaysEmptyAndMergesAsBefore() throws Exception {
    SeriesProfile empty = new SeriesProfile(0);
    SeriesProfile back =
        CoderUtils.decodeFromByteArray(
            SeriesProfile.coder(), CoderUtils.encodeToByteArray(SeriesProfile.coder(), empty));
    assertEquals(Long.MIN_VALUE, back.maxTs);
    assertNull(back.ts);
    assertEquals(0, back.violations.length);
    SeriesProfile a = random(new Random(1), 3);
    SeriesProfile b = random(new Random(2), 3);
    SeriesProfile viaCoder =
        CoderUtils.clone(SeriesProfile.coder(), a)
            .merge(CoderUtils.clone(SeriesProfile.coder(), b));
    SeriesProfile viaJava =
        CoderUtils.clone(SerializableCoder.of(SeriesProfile.class), a)
            .merge(CoderUtils.clone(SerializableCoder.of(SeriesProfile.class), b));
    assertEquals(viaJava, viaCoder);
  }

  @Test
  void isSmallerThanJavaSerializationAndSerializable() throws Exception {
    SeriesProfile p = random(new Random(3), 4);
    int varints = CoderUtils.encodeToByteArray(SeriesProfile.coder(), p).length;
    int java = CoderUtils.encodeToByteArray(SerializableCoder.of(SeriesProfile.class), p).length;
    assertTrue(varints < java, varints + " bytes against " + java);
    assertEquals(SeriesProfile.coder(), SerializableUtils.clone(SeriesProfile.coder()));
  }
}
