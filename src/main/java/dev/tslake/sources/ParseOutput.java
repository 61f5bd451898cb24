package dev.tslake.sources;

import dev.tslake.model.RawRecord;
import dev.tslake.model.SeriesInfo;

/** Where a {@link PayloadParser} puts what it found. */
public interface ParseOutput {
  void record(RawRecord record);

  void series(SeriesInfo info);
}
