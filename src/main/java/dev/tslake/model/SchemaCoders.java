package dev.tslake.model;

import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.schemas.SchemaRegistry;

/** Beam's {@link SchemaCoder} of a class annotated with {@code @DefaultSchema}. */
public final class SchemaCoders {
  private SchemaCoders() {}

  public static <T> SchemaCoder<T> of(Class<T> type) {
    try {
      return SchemaRegistry.createDefault().getSchemaCoder(type);
    } catch (NoSuchSchemaException e) {
      throw new IllegalStateException(type.getName() + " has no @DefaultSchema", e);
    }
  }
}
