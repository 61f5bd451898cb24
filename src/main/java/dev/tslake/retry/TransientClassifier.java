package dev.tslake.retry;

import java.io.Serializable;

/**
 * Which failures are worth another attempt. Each user has its own: the warehouse looks at SQL
 * states, the HTTP fetcher at statuses and I/O errors.
 */
@FunctionalInterface
public interface TransientClassifier<F> extends Serializable {
  boolean isTransient(F failure);
}
