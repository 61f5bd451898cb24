package dev.tslake.serve;

import org.checkerframework.checker.nullness.qual.Nullable;

/** An answer other than 200: the status, a message for people, and the parameter at fault. */
final class ApiException extends RuntimeException {
  final int status;
  final @Nullable String parameter;

  ApiException(int status, String message, @Nullable String parameter) {
    super(message);
    this.status = status;
    this.parameter = parameter;
  }

  static ApiException badRequest(String parameter, String message) {
    return new ApiException(400, message, parameter);
  }

  static ApiException notFound(String message) {
    return new ApiException(404, message, null);
  }
}
