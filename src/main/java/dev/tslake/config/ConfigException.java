package dev.tslake.config;

/** A config that cannot run; the message says which source and field, and what is expected. */
public class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
