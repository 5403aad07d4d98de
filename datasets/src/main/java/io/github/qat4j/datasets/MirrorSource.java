package io.github.qat4j.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** Download mirrors serving each raw file gzip-compressed as {@code <mirror><name>.gz}, as MNIST's do. */
final class MirrorSource implements Source {

    private final List<URI> mirrors;

    /** @param mirrors base addresses ending in '/', tried in order */
    MirrorSource(List<URI> mirrors) {
        this.mirrors = List.copyOf(mirrors);
    }

    @Override
    public String description() {
        return "download from " + mirrors;
    }

    @Override
    public void fetch(Path dir, List<ExpectedFile> missing) throws IOException {
        List<ExpectedFile> remaining = new ArrayList<>(missing);
        List<String> failures = new ArrayList<>();
        for (URI mirror : mirrors) {
            try {
                while (!remaining.isEmpty()) {
                    ExpectedFile file = remaining.get(0);
                    URI uri = mirror.resolve(file.name() + ".gz");
                    try (InputStream in = new GZIPInputStream(Http.open(uri), 1 << 16)) {
                        VerifiedWriter.copy(dir, file, in, uri.toString());
                    }
                    remaining.remove(0);
                }
                return;
            } catch (IOException e) {
                // An offline machine or a dead mirror fails on the first file: move to the next mirror.
                failures.add(mirror + ": " + e);
            }
        }
        throw new IOException(String.join("; ", failures));
    }
}
