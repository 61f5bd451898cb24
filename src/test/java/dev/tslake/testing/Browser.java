package dev.tslake.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless browser for tests: Debian's {@code chromium} driven through {@code
 * /usr/bin/chromedriver} with Selenium (both installed by {@code runners/browser/install.sh}). The
 * binary and driver paths are set explicitly, so Selenium Manager never goes to the network.
 * Headless ({@code --headless=new}), {@code --no-sandbox} (CI runs as root), window 1280x900.
 *
 * <p>If chromium or chromedriver is missing: under CI ({@code CI=true}) the calling test
 * <b>fails</b>; locally it is <b>aborted</b> (skipped) with how to install them.
 *
 * <pre>{@code
 * try (Browser browser = Browser.start()) {
 *   browser.driver().get(url);
 *   browser.screenshot(Path.of("target/page.png"));
 * }
 * }</pre>
 */
public final class Browser implements AutoCloseable {
  /** Where Debian's packages put them; {@code TSLAKE_CHROMIUM} / {@code TSLAKE_CHROMEDRIVER}. */
  static final List<String> CHROMIUM = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser");

  static final List<String> CHROMEDRIVER = List.of("/usr/bin/chromedriver");
  public static final int WIDTH = 1280;
  public static final int HEIGHT = 900;

  private final ChromeDriverService service;
  private final ChromeDriver driver;

  private Browser(ChromeDriverService service, ChromeDriver driver) {
    this.service = service;
    this.driver = driver;
  }

  /** Starts headless chromium; fails (CI) or skips (locally) when it is not installed. */
  public static Browser start() {
    Path chromium = find("TSLAKE_CHROMIUM", CHROMIUM);
    Path chromedriver = find("TSLAKE_CHROMEDRIVER", CHROMEDRIVER);
    if (chromium == null || chromedriver == null) {
      throw unavailable(
          (chromium == null ? "chromium" : "chromedriver")
              + " not found (looked in "
              + (chromium == null ? CHROMIUM : CHROMEDRIVER)
              + ")");
    }
    // belt and braces: with the driver given, Selenium Manager (which downloads) is never asked
    System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, chromedriver.toString());
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(chromedriver.toFile())
            .usingAnyFreePort()
            .withSilent(true)
            .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=" + WIDTH + "," + HEIGHT,
        "--hide-scrollbars",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update");
    try {
      ChromeDriver driver = new ChromeDriver(service, options);
      driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
      return new Browser(service, driver);
    } catch (RuntimeException e) {
      service.stop();
      throw unavailable("chromedriver could not start chromium: " + e.getMessage());
    }
  }

  public WebDriver driver() {
    return driver;
  }

  /** Runs a script in the page and returns its value (Selenium's JavaScript conversions). */
  public Object script(String js, Object... args) {
    return driver.executeScript(js, args);
  }

  /** Waits until the condition holds (not null / not false) and returns its value. */
  public <T> T await(Duration timeout, Function<WebDriver, T> condition) {
    return new WebDriverWait(driver, timeout, Duration.ofMillis(100)).until(condition);
  }

  /** Saves a PNG of the viewport to {@code file} (directories created) and returns the file. */
  public Path screenshot(Path file) throws IOException {
    byte[] png = driver.getScreenshotAs(OutputType.BYTES);
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    Files.write(file, png);
    return file;
  }

  /** Saves a PNG of the whole page (taller than the window when the page scrolls). */
  public Path fullPageScreenshot(Path file) throws IOException {
    int height =
        ((Number)
                script(
                    "return Math.max(document.documentElement.scrollHeight,"
                        + " document.body.scrollHeight)"))
            .intValue();
    driver.manage().window().setSize(new org.openqa.selenium.Dimension(WIDTH, height));
    // the window's size may include more than the page's viewport: grow by the difference
    int viewport = ((Number) script("return window.innerHeight")).intValue();
    if (viewport < height) {
      driver
          .manage()
          .window()
          .setSize(new org.openqa.selenium.Dimension(WIDTH, 2 * height - viewport));
    }
    try {
      return screenshot(file);
    } finally {
      driver.manage().window().setSize(new org.openqa.selenium.Dimension(WIDTH, HEIGHT));
    }
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      service.stop();
    }
  }

  private static Path find(String env, List<String> candidates) {
    String override = System.getenv(env);
    if (override != null && !override.isBlank()) {
      Path p = Path.of(override);
      return Files.isExecutable(p) ? p : null;
    }
    for (String c : candidates) {
      Path p = Path.of(c);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** True when running under CI ({@code CI=true}), where the browser is mandatory. */
  public static boolean isCi() {
    return PostgresSupport.isCi();
  }

  private static RuntimeException unavailable(String reason) {
    String message =
        "A headless browser (Debian's chromium + chromium-driver) is needed: "
            + reason
            + ". Install them with `runners/browser/install.sh` (as root; it runs"
            + " `apt-get install -y chromium chromium-driver`).";
    if (isCi()) {
      throw new AssertionError("chromium is required under CI (CI=true). " + message);
    }
    Assumptions.abort("Skipping: " + message + "\n(Under CI=true this is a failure.)");
    throw new AssertionError("unreachable");
  }
}
