package dev.tslake.sources;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.RawRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CensusParserTest {
  private static final Path DIR = Path.of("testdata/census");
  private static final String POVERTY = "acs5_2010_B17001_poverty_by_state.json";
  private static final String EDUCATION = "acs5_2012_B15003_education_by_state.json";
  private static final String MARITAL = "acs5_2013_B12501_marital_by_state.json";
  private static final String MEDIAN_AGE = "acs5_2010_B07002_median_age_mobility_by_state.json";

  private static SourceConfig census() {
    return Parsed.source("census", SourceType.CENSUS);
  }

  private static Parsed parse(SourceConfig source, String file) throws IOException {
    return Parsed.file(source, DIR.resolve(file), null, null);
  }

  private static Parsed write(SourceConfig source, Path dir, String name, String body)
      throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, body, StandardCharsets.UTF_8);
    return Parsed.file(source, f, null, null);
  }

  @Test
  void povertyFileHasOneRecordPerStateAndVariable() throws IOException {
    Parsed p = parse(census(), POVERTY);
    // 52 data rows (50 states, DC, Puerto Rico) x 30 variables; the state column is geography.
    assertEquals(52 * 30, p.records.size());
    assertThat(p.errors(), empty());
    assertEquals(1, p.series("B17001_001E.state:01").size());
    RawRecord ca = p.at("B17001_002E.state:06", "2010-01-01");
    assertEquals("4919945", ca.value);
    assertEquals("row 5 B17001_002E", ca.locator);
    assertEquals(DIR.resolve(POVERTY).toString(), ca.origin);
    assertEquals("census", ca.source);
    assertNull(ca.vintage);
    assertEquals("3714957", p.at("B17001_001E.state:72", "2010-01-01").value);
    assertThat(p.where(r -> r.seriesId.contains("state.")), empty());
    assertEquals(
        52,
        p.records.stream()
            .map(r -> r.seriesId.substring(r.seriesId.indexOf('.')))
            .distinct()
            .count());
    assertThat(p.series, empty());
  }

  @Test
  void yearComesFromTheFileName() throws IOException {
    Parsed edu = parse(census(), EDUCATION);
    assertEquals(52 * 8, edu.records.size());
    assertEquals(
        List.of("2012-01-01"),
        edu.records.stream().map(r -> r.ts).distinct().collect(Collectors.toList()));
    assertEquals("24117317", edu.at("B15003_001E.state:06", "2012-01-01").value);
    assertEquals("401067", edu.at("B15003_022E.state:72", "2012-01-01").value);

    Parsed marital = parse(census(), MARITAL);
    assertEquals(52 * 11, marital.records.size());
    assertEquals("19843578", marital.at("B12501_001E.state:48", "2013-01-01").value);
  }

  @Test
  void datasetInConfigWinsOverTheFileName() throws IOException {
    SourceConfig s = census();
    s.dataset = "2011/acs5";
    Parsed p = parse(s, EDUCATION);
    assertEquals("24117317", p.at("B15003_001E.state:06", "2011-01-01").value);
  }

  @Test
  void medianAgeKeepsDecimalsAndNulls() throws IOException {
    Parsed p = parse(census(), MEDIAN_AGE);
    assertEquals(52 * 6, p.records.size());
    assertThat(p.errors(), empty());
    assertEquals("38", p.at("B07002_001E.state:01", "2010-01-01").value);
    assertEquals("26.2", p.at("B07002_003E.state:01", "2010-01-01").value);
    // DC has no median for movers within the same county; Puerto Rico has none at all.
    assertNull(p.at("B07002_004E.state:11", "2010-01-01").value);
    assertEquals(6, p.where(r -> r.seriesId.endsWith(".state:72") && r.value == null).size());
    assertEquals(7, p.where(r -> r.value == null).size());
  }

  @Test
  void getRestrictsTheVariables() throws IOException {
    SourceConfig s = census();
    s.get = List.of("NAME", "B17001_002E", "B17001_001E");
    Parsed p = parse(s, POVERTY);
    assertEquals(52 * 2, p.records.size());
    assertThat(p.errors(), empty());
    // header order, not request order
    assertEquals("B17001_001E.state:01", p.records.get(0).seriesId);
    assertEquals("B17001_002E.state:01", p.records.get(1).seriesId);
  }

  @Test
  void requestedVariableNotInHeaderIsNamed() throws IOException {
    SourceConfig s = census();
    s.get = List.of("B17001_002E", "B01001_001E");
    Parsed p = parse(s, POVERTY);
    assertEquals(1, p.errors().size());
    assertThat(p.errors().get(0).error, containsString("'B01001_001E'"));
    assertThat(p.errors().get(0).error, containsString("not in the Census response"));
    assertEquals(52, p.where(r -> r.error == null).size());
  }

  @Test
  void countyAndStateMakeOneGeographyInHeaderOrder(@TempDir Path dir) throws IOException {
    SourceConfig s = census();
    s.forGeography = "county:*";
    s.inGeography = "state:06";
    Parsed p =
        write(
            s,
            dir,
            "acs5_2019_counties.json",
            "[[\"NAME\",\"B01001_001E\",\"B01001_001M\",\"state\",\"county\"],\n"
                + "[\"Los Angeles County, California\",\"10081570\",\"-555555555\",\"06\",\"037\"],\n"
                + "[\"Alpine County, California\",\"-666666666\",\"-222222222\",\"06\",\"003\"]]");
    assertThat(p.errors(), empty());
    assertEquals(4, p.records.size());
    assertEquals("10081570", p.at("B01001_001E.state:06/county:037", "2019-01-01").value);
    // ACS annotation codes are not values
    assertEquals("", p.at("B01001_001M.state:06/county:037", "2019-01-01").value);
    assertEquals("", p.at("B01001_001E.state:06/county:003", "2019-01-01").value);
    assertEquals(
        "row 2 B01001_001M", p.at("B01001_001M.state:06/county:003", "2019-01-01").locator);
  }

  @Test
  void geographyNamedOnlyByTheForClause(@TempDir Path dir) throws IOException {
    SourceConfig s = census();
    s.forGeography = "school district (unified):*";
    s.dataset = "2020/acs/acs5";
    Parsed p =
        write(
            s,
            dir,
            "sd.json",
            "[[\"B01001_001E\",\"school district (unified)\"]," + "[\"1200\",\"00001\"]]");
    assertEquals("1200", p.at("B01001_001E.school district (unified):00001", "2020-01-01").value);
  }

  @Test
  void timeColumnIsTheTimestampAndPredicatesIdentifyTheSeries(@TempDir Path dir)
      throws IOException {
    SourceConfig s = census();
    s.dataset = "timeseries/eits/resconst";
    s.forGeography = "us:*";
    s.predicates.put("time", "from 2015");
    s.predicates.put("category_code", "APERMITS");
    s.vintage = null;
    Parsed p =
        write(
            s,
            dir,
            "resconst.json",
            "[[\"cell_value\",\"time\",\"category_code\",\"us\"],"
                + "[\"1090\",\"2015-01\",\"APERMITS\",\"1\"],"
                + "[\"1101\",\"2015-02\",\"APERMITS\",\"1\"],"
                + "[\"1180\",\"2016\",\"APERMITS\",\"1\"]]");
    assertThat(p.errors(), empty());
    assertEquals("1090", p.at("cell_value.category_code:APERMITS/us:1", "2015-01-01").value);
    assertEquals("1101", p.at("cell_value.category_code:APERMITS/us:1", "2015-02-01").value);
    assertEquals("1180", p.at("cell_value.category_code:APERMITS/us:1", "2016-01-01").value);
  }

  @Test
  void contextVintageIsCarried(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("acs5_2010_x.json");
    Files.writeString(f, "[[\"B1\",\"state\"],[\"5\",\"01\"]]");
    Parsed p = Parsed.file(census(), f, null, "2015-04-14");
    assertEquals("2015-04-14", p.at("B1.state:01", "2010-01-01").vintage);
  }

  @Test
  void unknownYearIsOneUnparseableRecord(@TempDir Path dir) throws IOException {
    RawRecord e =
        write(census(), dir, "poverty.json", "[[\"B1\",\"state\"],[\"5\",\"01\"]]").onlyError();
    assertThat(e.error, containsString("year"));
    assertThat(e.error, containsString("'dataset'"));
  }

  @Test
  void plainTextCensusError(@TempDir Path dir) throws IOException {
    RawRecord e =
        write(census(), dir, "acs5_2010_err.json", "error: unknown variable 'B01001_001X'")
            .onlyError();
    assertEquals("Census error: error: unknown variable 'B01001_001X'", e.error);
    assertEquals("payload", e.locator);
    assertEquals("error: unknown variable 'B01001_001X'", e.value);
  }

  @Test
  void htmlCensusErrorIsReducedToItsText(@TempDir Path dir) throws IOException {
    RawRecord e =
        write(
                census(),
                dir,
                "acs5_2010_err.json",
                "<html><head><title>Invalid Key</title><style>p{color:red}</style></head>\n<body><p>You"
                    + " included a key with this request, however, it is not valid.</p></body></html>")
            .onlyError();
    assertThat(e.error, startsWith("Census error (HTML page): Invalid Key You included a key"));
    assertThat(e.error.contains("color"), is(false));
  }

  @Test
  void longErrorIsCutTo200Characters(@TempDir Path dir) throws IOException {
    RawRecord e =
        write(census(), dir, "acs5_2010_err.json", "error: " + "x".repeat(500)).onlyError();
    assertEquals("Census error: ".length() + 200 + "...".length(), e.error.length());
  }

  @Test
  void emptyBodyMeansNoRows(@TempDir Path dir) throws IOException {
    assertThat(
        write(census(), dir, "acs5_2010_empty.json", "").onlyError().error,
        startsWith("Census returned no rows"));
  }

  @Test
  void headerOnlyMeansNoRows(@TempDir Path dir) throws IOException {
    RawRecord e =
        write(census(), dir, "acs5_2010_h.json", "[[\"B17001_001E\",\"state\"]]").onlyError();
    assertThat(e.error, startsWith("Census returned no rows"));
    assertThat(e.error, containsString("B17001_001E,state"));
  }

  @Test
  void truncatedJson(@TempDir Path dir) throws IOException {
    String real = Files.readString(DIR.resolve(POVERTY));
    RawRecord e = write(census(), dir, POVERTY, real.substring(0, real.length() / 2)).onlyError();
    assertThat(e.error, startsWith("truncated JSON"));
  }

  @Test
  void objectIsNotACensusResponse(@TempDir Path dir) throws IOException {
    assertThat(
        write(census(), dir, "acs5_2010_o.json", "{\"a\": 1}").onlyError().error,
        containsString("expected an array of rows"));
  }

  @Test
  void rowOfWrongLengthIsOneRecordWithError(@TempDir Path dir) throws IOException {
    Parsed p =
        write(
            census(),
            dir,
            "acs5_2010_rows.json",
            "[[\"B1\",\"B2\",\"state\"],[\"1\",\"2\",\"01\"],[\"3\",\"02\"],[\"5\",\"6\",\"04\"]]");
    assertEquals(5, p.records.size());
    RawRecord bad = p.errors().get(0);
    assertEquals(1, p.errors().size());
    assertEquals("row 2", bad.locator);
    assertThat(bad.error, containsString("has 2 fields, the header has 3"));
    assertEquals("[\"3\",\"02\"]", bad.value);
    assertEquals("6", p.at("B2.state:04", "2010-01-01").value);
  }

  @Test
  void readsTheRealFileFromAMemoryPayloadWithDataset() throws IOException {
    SourceConfig s = census();
    s.dataset = "2010/acs5";
    Parsed p = Parsed.text(s, Files.readString(DIR.resolve(MEDIAN_AGE)), null, null);
    assertEquals("27.3", p.at("B07002_006E.state:01", "2010-01-01").value);
  }
}
