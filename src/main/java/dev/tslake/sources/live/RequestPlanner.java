package dev.tslake.sources.live;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.Period;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Turns the live sources of a config into the requests of one run. */
public final class RequestPlanner {
  /** FRED's maximum page size. */
  public static final int FRED_PAGE_LIMIT = 100_000;

  /**
   * Query parameters asking FRED for every vintage of each observation (ALFRED): all real-time
   * periods, from FRED's earliest real-time date to its "today and on" marker.
   */
  public static final String ALL_VINTAGES = "&realtime_start=1776-07-04&realtime_end=9999-12-31";

  private RequestPlanner() {}

  /**
   * @param completeThrough per "source\0series", the newest observation date up to which a previous
   *     run fetched the series completely ({@code fetch_state}); FRED fetches start the day after
   *     it, less the source's {@code lookback}, unless config says observationStart. A series
   *     without an entry (never fetched completely) is fetched from its start.
   */
  public static List<ApiRequest> plan(
      PipelineConfig config,
      ApiSettings api,
      Map<String, LocalDate> completeThrough,
      boolean fullRefetch) {
    List<ApiRequest> out = new ArrayList<>();
    for (SourceConfig s : config.sources) {
      if (s.isLive()) {
        out.addAll(plan(s, api, completeThrough, fullRefetch));
      }
    }
    return out;
  }

  /**
   * The requests of one live source, as {@link #plan(PipelineConfig, ApiSettings, Map, boolean)}.
   */
  public static List<ApiRequest> plan(
      SourceConfig s,
      ApiSettings api,
      Map<String, LocalDate> completeThrough,
      boolean fullRefetch) {
    List<ApiRequest> out = new ArrayList<>();
    switch (s.type) {
      case FRED:
        for (String id : s.series) {
          out.add(
              new ApiRequest(
                  s.name,
                  ApiRequest.Kind.FRED_SERIES,
                  api.fredBaseUrl + "/fred/series?series_id=" + enc(id) + "&file_type=json",
                  id));
          String start = s.observationStart;
          LocalDate through = completeThrough.get(s.name + '\u0000' + id);
          if (start == null && through != null && !fullRefetch) {
            LocalDate from = through.plusDays(1);
            if (s.lookback != null) {
              from = from.minus(Period.parse(s.lookback));
            }
            start = from.toString();
          }
          out.add(
              new ApiRequest(
                  s.name,
                  ApiRequest.Kind.FRED_OBSERVATIONS,
                  api.fredBaseUrl
                      + "/fred/series/observations?series_id="
                      + enc(id)
                      + "&file_type=json"
                      + (start == null ? "" : "&observation_start=" + start)
                      + (s.vintages ? ALL_VINTAGES : ""),
                  id));
        }
        break;
      case ALPHAVANTAGE:
        for (String symbol : s.symbols) {
          out.add(
              new ApiRequest(
                  s.name,
                  ApiRequest.Kind.ALPHAVANTAGE,
                  api.alphaVantageBaseUrl
                      + "/query?function="
                      + enc(s.function)
                      + "&symbol="
                      + enc(symbol)
                      + "&outputsize="
                      + enc(s.outputSize)
                      + "&datatype=json",
                  null));
        }
        break;
      case CENSUS:
        {
          StringBuilder url =
              new StringBuilder(api.censusBaseUrl)
                  .append("/data/")
                  .append(s.dataset.replaceAll("^/+", ""))
                  .append("?get=")
                  .append(enc(String.join(",", s.get)));
          if (s.forGeography != null) {
            url.append("&for=").append(enc(s.forGeography));
          }
          if (s.inGeography != null) {
            url.append("&in=").append(enc(s.inGeography));
          }
          s.predicates.forEach((k, v) -> url.append('&').append(enc(k)).append('=').append(enc(v)));
          out.add(new ApiRequest(s.name, ApiRequest.Kind.CENSUS, url.toString(), null));
          break;
        }
      case EDGAR:
        for (String cik : s.ciks) {
          String cik10 = cik10(cik);
          if (s.concepts.isEmpty()) {
            out.add(
                new ApiRequest(
                    s.name,
                    ApiRequest.Kind.EDGAR,
                    api.edgarBaseUrl + "/api/xbrl/companyfacts/CIK" + cik10 + ".json",
                    null));
          }
          for (String concept : s.concepts) {
            out.add(
                new ApiRequest(
                    s.name,
                    ApiRequest.Kind.EDGAR,
                    api.edgarBaseUrl
                        + "/api/xbrl/companyconcept/CIK"
                        + cik10
                        + "/"
                        + concept
                        + ".json",
                    null));
          }
        }
        break;
      case COINDESK:
        out.add(
            new ApiRequest(
                s.name,
                ApiRequest.Kind.COINDESK,
                api.coindeskBaseUrl + "/v1/bpi/currentprice.json",
                null));
        break;
      default:
        throw new IllegalArgumentException(
            "source '" + s.name + "': type " + s.type.id() + " cannot fetch live");
    }
    return out;
  }

  /** SEC paths use the CIK zero-padded to ten digits. */
  static String cik10(String cik) {
    String digits = cik.trim().replaceFirst("(?i)^CIK", "");
    if (!digits.matches("\\d{1,10}")) {
      throw new IllegalArgumentException("CIK '" + cik + "' is not a number of up to 10 digits");
    }
    return String.format(Locale.ROOT, "%010d", Long.parseLong(digits));
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
