package io.github.qat4j.datasets;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** A raw data file pinned by name, exact size and sha256, as published by the data set's authors. */
record ExpectedFile(String name, long size, String sha256) {

    /**
     * Checks the file called {@link #name()} in {@code dir}.
     *
     * @return empty when the file is there with the pinned size and sha256, else what is wrong
     */
    Optional<String> problemIn(Path dir) throws IOException {
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file)) {
            return Optional.of("missing");
        }
        // The size is checked first because it is free and catches truncation without hashing.
        long actualSize = Files.size(file);
        if (actualSize != size) {
            return Optional.of("size " + actualSize + " bytes, expected " + size);
        }
        String actualSha = Sha256.of(file);
        if (!actualSha.equals(sha256)) {
            return Optional.of("sha256 mismatch: " + actualSha + ", expected " + sha256);
        }
        return Optional.empty();
    }

    /** One line for the by-hand installation instructions. */
    String describe() {
        return name + " (" + size + " bytes, sha256 " + sha256 + ")";
    }
}
