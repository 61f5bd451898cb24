package dev.tslake.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JsonMapper;
import java.lang.reflect.Type;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.eclipse.jetty.http.UriCompliance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tslake server: the JSON API under {@code /api/}, the dashboard at {@code /}, Prometheus text
 * at {@code /metrics}, over a warehouse opened read-only.
 *
 * <p>{@code mvn -q exec:java -Dexec.mainClass=dev.tslake.serve.Server -Dexec.args="--port=8080"}
 */
public final class Server {
  private static final Logger LOG = LoggerFactory.getLogger(Server.class);

  /** Classpath folder of the dashboard's files. */
  static final String WEB = "/dev/tslake/serve/web";

  static final ObjectMapper JSON = new ObjectMapper();

  private Server() {}

  /** A started server; closing it stops it. */
  public static final class Running implements AutoCloseable {
    private final Javalin app;
    private final ReadOnlyWarehouse warehouse;
    private final String host;

    private Running(Javalin app, ReadOnlyWarehouse warehouse, String host) {
      this.app = app;
      this.warehouse = warehouse;
      this.host = host;
    }

    public int port() {
      return app.port();
    }

    /** The dashboard's address, ending in "/". */
    public String url() {
      String h = host.contains(":") ? "[" + host + "]" : host;
      if (h.equals("0.0.0.0")) {
        h = "127.0.0.1";
      }
      return "http://" + h + ":" + port() + "/";
    }

    @Override
    public void close() {
      app.stop();
      warehouse.close();
    }
  }

  public static void main(String[] args) throws Exception {
    ServeSettings settings = ServeSettings.fromArgs(args, System.getenv());
    Running running = start(settings);
    Runtime.getRuntime().addShutdownHook(new Thread(running::close, "tslake-server-stop"));
    System.out.println("tslake dashboard: " + running.url());
    System.out.flush();
    Thread.currentThread().join();
  }

  public static Running start(ServeSettings settings) {
    ReadOnlyWarehouse warehouse = new ReadOnlyWarehouse(settings.warehouse);
    Api api = new Api(warehouse);
    Metrics metrics = new Metrics(warehouse);
    // Javalin refuses a static folder that is not on the class path
    boolean hasWeb = Server.class.getResource(WEB) != null;
    boolean hasWebjars = Server.class.getResource("/META-INF/resources/webjars") != null;
    Javalin app =
        Javalin.create(
            config -> {
              config.startup.showJavalinBanner = false;
              config.jsonMapper(new JacksonMapper());
              config.jetty.host = settings.bind;
              config.jetty.port = settings.port;
              // series ids hold '/' (BTC/USD.close): let an encoded %2F through to the API
              config.jetty.modifyHttpConfiguration(
                  http -> http.setUriCompliance(UriCompliance.LEGACY));
              config.jetty.modifyServletContextHandler(
                  h -> h.getServletHandler().setDecodeAmbiguousURIs(true));
              if (hasWeb) {
                config.staticFiles.add(
                    f -> {
                      f.hostedPath = "/";
                      f.directory = WEB;
                      f.location = Location.CLASSPATH;
                    });
              }
              if (hasWebjars) {
                config.staticFiles.enableWebjars(); // /webjars/* from META-INF/resources/webjars
              }
              config.routes.get("/api/series", ctx -> json(ctx, api::series));
              config.routes.get("/api/series/<rest>", ctx -> json(ctx, api::seriesPath));
              config.routes.get("/api/runs", ctx -> json(ctx, api::runs));
              config.routes.get("/api/runs/{run_id}/rejects", ctx -> json(ctx, api::rejects));
              config.routes.get("/api/quality", ctx -> json(ctx, api::quality));
              config.routes.get("/metrics", metrics::handle);
              config.routes.exception(
                  ApiException.class,
                  (e, ctx) -> error(ctx, e.status, e.getMessage(), e.parameter));
              config.routes.exception(
                  Exception.class,
                  (e, ctx) -> {
                    LOG.warn("{} {} failed", ctx.method(), ctx.path(), e);
                    error(ctx, 500, "internal error: " + e.getClass().getSimpleName(), null);
                  });
              config.routes.error(
                  404,
                  ctx -> {
                    String type = String.valueOf(ctx.res().getContentType());
                    if (ctx.path().startsWith("/api/") && !type.contains("json")) {
                      error(ctx, 404, "no such endpoint: " + Params.clip(ctx.path()), null);
                    }
                  });
            });
    app.start();
    return new Running(app, warehouse, settings.bind);
  }

  private static void json(Context ctx, Function<Context, Object> handler) {
    ctx.json(handler.apply(ctx));
  }

  static void error(Context ctx, int status, String message, String parameter) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", message);
    if (parameter != null) {
      body.put("parameter", parameter);
    }
    ctx.status(status).json(body);
  }

  /** Javalin writes JSON with the project's Jackson (the version Beam pins). */
  static final class JacksonMapper implements JsonMapper {
    @Override
    public String toJsonString(Object obj, Type type) {
      try {
        return JSON.writeValueAsString(obj);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public <T> T fromJsonString(String json, Type type) {
      try {
        return JSON.readValue(json, JSON.constructType(type));
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException(e);
      }
    }
  }
}
