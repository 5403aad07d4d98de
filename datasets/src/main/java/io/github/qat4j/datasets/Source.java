package io.github.qat4j.datasets;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** One place the installer can get a data set's files from. */
interface Source {

    /** What this source is, for logs and for the "what was tried" list. */
    String description();

    /**
     * Writes each of {@code missing} into {@code dir} through {@link VerifiedWriter}. It may write
     * some files and then fail; the installer passes what is still missing to the next source.
     *
     * @throws IOException saying why this source could not deliver every file
     */
    void fetch(Path dir, List<ExpectedFile> missing) throws IOException;
}
