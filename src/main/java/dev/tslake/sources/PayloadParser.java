package dev.tslake.sources;

import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;

/**
 * Splits one payload (a recorded file, or an HTTP response body of the same API) into raw records.
 * The same parser serves files and live fetches.
 *
 * <p>Contract: bad data never throws. A payload that cannot be split at all (malformed JSON, an API
 * error body, an HTML page) yields one {@link dev.tslake.model.RawRecord#unparseable} record with a
 * specific reason; a bad item inside a good payload yields a raw record whose strings carry the bad
 * value, so validation rejects it with its reason. Only I/O failures throw.
 */
public interface PayloadParser extends Serializable {
  void parse(PayloadContext ctx, Reader payload, ParseOutput out) throws IOException;
}
