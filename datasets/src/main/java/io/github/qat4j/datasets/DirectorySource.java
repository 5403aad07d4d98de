package io.github.qat4j.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** A directory the user points at, holding the raw files or their {@code .gz} as the mirrors serve them. */
final class DirectorySource implements Source {

    private final Path dir;

    DirectorySource(Path dir) {
        this.dir = dir;
    }

    @Override
    public String description() {
        return "source directory " + dir;
    }

    @Override
    public void fetch(Path target, List<ExpectedFile> missing) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("no such directory");
        }
        List<String> problems = new ArrayList<>();
        for (ExpectedFile file : missing) {
            Path raw = dir.resolve(file.name());
            Path gz = dir.resolve(file.name() + ".gz");
            try {
                if (Files.isRegularFile(raw)) {
                    try (InputStream in = Files.newInputStream(raw)) {
                        VerifiedWriter.copy(target, file, in, raw.toString());
                    }
                } else if (Files.isRegularFile(gz)) {
                    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz), 1 << 16)) {
                        VerifiedWriter.copy(target, file, in, gz.toString());
                    }
                } else {
                    problems.add(file.name() + ": neither " + raw + " nor " + gz + " exists");
                }
            } catch (IOException e) {
                problems.add(e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new IOException(String.join("; ", problems));
        }
    }
}
