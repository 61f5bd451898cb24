package dev.tslake.lake;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** What a finished run tidies in a local lake. */
public final class LakeHousekeeping {
  private LakeHousekeeping() {}

  /**
   * Beam writes lake files under {@code .temp-beam} and renames them into place; it removes the
   * files but leaves the emptied folder behind. The raw files of file sources go the same way
   * through {@code .temp-tslake} ({@link RawLakeFile}). Both folders are removed when empty (a file
   * left in one is a write that died without cleaning up, never a final file). Object stores have
   * no folders, so only a local lake needs this.
   */
  public static void removeEmptyTempFolders(String lakeRoot) {
    if (lakeRoot.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
      return;
    }
    Path root = Path.of(lakeRoot);
    try (DirectoryStream<Path> dirs =
        Files.newDirectoryStream(root, "{.temp-beam*," + RawLakeFile.TEMP_FOLDER + "}")) {
      for (Path d : dirs) {
        try (DirectoryStream<Path> content = Files.newDirectoryStream(d)) {
          if (!content.iterator().hasNext()) {
            Files.delete(d);
          }
        }
      }
    } catch (IOException e) {
      // leaving an empty folder is harmless; the run itself succeeded
    }
  }
}
