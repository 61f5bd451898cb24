package org.apache.beam.runners.flink.translation.types;

import java.io.IOException;
import java.util.Arrays;
import org.apache.flink.api.common.typeutils.TypeComparator;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.core.memory.MemorySegment;

/**
 * tslake's replacement for the Beam 2.62 Flink runner's comparator of encoded keys (same name, so
 * it is the one the runner's {@code EncodedValueTypeInformation} creates; see docs/performance.md,
 * H20). Every batch {@code GroupByKey} and {@code Combine.perKey} on Flink sorts its records by
 * their encoded key with this comparator. Beam's own turns off normalized keys (apache/beam#30139):
 * Flink's sorter then decodes both records' keys out of its sort buffer for every comparison, and
 * on the benchmark's 1M rows three quarters of the dedup sort's CPU went there. This one orders
 * keys by their bytes as unsigned values, shortest first on a common prefix, and gives Flink the
 * key's first bytes as its normalized key (zero-padded), which is the same order, so the sorter
 * compares whole keys only where those first bytes tie.
 *
 * <p>Only the order changes, not the grouping: equal keys are equal bytes either way, and the hash
 * is Beam's ({@link Arrays#hashCode(byte[])}). {@code EncodedValueComparatorTest} checks the order
 * against the normalized keys and that this class, not Beam's, is the one loaded.
 */
public class EncodedValueComparator extends TypeComparator<byte[]> {
  private static final long serialVersionUID = 1L;

  private final boolean ascending;
  private transient byte[] reference;

  public EncodedValueComparator(boolean ascending) {
    this.ascending = ascending;
  }

  /** The serialized form Flink's sorter holds: the runner's serializer reads it back. */
  private static final EncodedValueSerializer SERIALIZER = new EncodedValueSerializer();

  /** Unsigned lexicographic order (a key that is a prefix of the other first), by direction. */
  private int ordered(int c) {
    return ascending ? c : -c;
  }

  @Override
  public int hash(byte[] record) {
    return Arrays.hashCode(record);
  }

  @Override
  public void setReference(byte[] toCompare) {
    this.reference = toCompare;
  }

  @Override
  public boolean equalToReference(byte[] candidate) {
    return Arrays.equals(reference, candidate);
  }

  @Override
  public int compareToReference(TypeComparator<byte[]> referencedComparator) {
    // Flink's contract: the other comparator's reference against this one's, inverted
    byte[] other = ((EncodedValueComparator) referencedComparator).reference;
    return ordered(Arrays.compareUnsigned(other, reference));
  }

  @Override
  public int compare(byte[] first, byte[] second) {
    return ordered(Arrays.compareUnsigned(first, second));
  }

  @Override
  public int compareSerialized(DataInputView firstSource, DataInputView secondSource)
      throws IOException {
    return compare(SERIALIZER.deserialize(firstSource), SERIALIZER.deserialize(secondSource));
  }

  @Override
  public boolean supportsNormalizedKey() {
    return true;
  }

  @Override
  public boolean supportsSerializationWithKeyNormalization() {
    return false;
  }

  @Override
  public int getNormalizeKeyLen() {
    return Integer.MAX_VALUE;
  }

  @Override
  public boolean isNormalizedKeyPrefixOnly(int keyBytes) {
    return true;
  }

  /**
   * The key's first {@code numBytes} bytes, zero-padded: Flink compares normalized keys as unsigned
   * bytes, the order of {@link #compare}. Keys that tie there (one a zero-padded prefix of the
   * other, or equal in those bytes) are told apart by {@link #compare}.
   */
  @Override
  public void putNormalizedKey(byte[] record, MemorySegment target, int offset, int numBytes) {
    int n = Math.min(numBytes, record.length);
    target.put(offset, record, 0, n);
    for (int i = n; i < numBytes; i++) {
      target.put(offset + i, (byte) 0);
    }
  }

  @Override
  public void writeWithKeyNormalization(byte[] record, DataOutputView target) {
    throw new UnsupportedOperationException();
  }

  @Override
  public byte[] readWithKeyDenormalization(byte[] reuse, DataInputView source) {
    throw new UnsupportedOperationException();
  }

  @Override
  public boolean invertNormalizedKey() {
    return !ascending;
  }

  @Override
  public TypeComparator<byte[]> duplicate() {
    return new EncodedValueComparator(ascending);
  }

  @Override
  public int extractKeys(Object record, Object[] target, int index) {
    target[index] = record;
    return 1;
  }

  @Override
  @SuppressWarnings("rawtypes")
  public TypeComparator[] getFlatComparators() {
    return new TypeComparator[] {duplicate()};
  }
}
