package dev.tslake;

import dev.tslake.aggregate.StreamingWindowOptions;
import dev.tslake.lake.LakeOptions;
import dev.tslake.secret.SecretsOptions;
import dev.tslake.sources.live.ApiSourceOptions;
import dev.tslake.warehouse.WarehouseOptions;

/**
 * Options of the tslake job ({@code --name=value}); defaults run offline on embedded components.
 * One interface per concern, each in the package that uses it:
 *
 * <ul>
 *   <li>{@link RunOptions}: config, run id, ingest date, replay, dedup shards;
 *   <li>{@link LakeOptions}: the lake root and S3 access; it extends Beam's {@code S3Options}, so
 *       Beam's own S3 and AWS options ({@code --awsRegion}, {@code --endpoint}, {@code
 *       --s3UploadBufferSizeBytes}, {@code --SSEAlgorithm}, ...) are accepted too;
 *   <li>{@link WarehouseOptions}: JDBC URL, credentials, batch size;
 *   <li>{@link ApiSourceOptions}: base URLs, keys and HTTP behaviour of the live sources;
 *   <li>{@link SecretsOptions}: the secrets file workers read the password and keys from;
 *   <li>{@link StreamingWindowOptions}: early panes and allowed lateness of the aggregates in a
 *       streaming run.
 * </ul>
 *
 * <p>{@code --help=dev.tslake.TsLakeOptions} lists them all, grouped by interface.
 */
public interface TsLakeOptions
    extends RunOptions,
        LakeOptions,
        WarehouseOptions,
        ApiSourceOptions,
        SecretsOptions,
        StreamingWindowOptions {}
