package io.github.qat4j.datasets;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.UUID;

/**
 * Writes a pinned file so that a half-written or wrong file never appears under its final name:
 * the bytes go to a hidden temporary file in the same directory (so the rename cannot cross file
 * systems), are checked against the pinned size and sha256, forced to disk, and only then renamed
 * atomically over the final name.
 */
final class VerifiedWriter {

    /** Produces the file's bytes; may fail midway, which must leave nothing behind. */
    @FunctionalInterface
    interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    private VerifiedWriter() {}

    static void copy(Path dir, ExpectedFile expected, InputStream in, String origin) throws IOException {
        write(dir, expected, in::transferTo, origin);
    }

    static void write(Path dir, ExpectedFile expected, byte[] content, String origin) throws IOException {
        write(dir, expected, out -> out.write(content), origin);
    }

    /**
     * @param origin where the bytes come from, for the error message
     * @throws IOException when the body fails or the bytes do not match the pin; the temporary
     *     file is deleted and the final name untouched either way
     */
    static void write(Path dir, ExpectedFile expected, Body body, String origin) throws IOException {
        // Not Files.createTempFile: it makes the file owner-only, and a shared cache must keep the umask's mode.
        Path temp = dir.resolve("." + expected.name() + "-" + UUID.randomUUID() + ".part");
        try {
            MessageDigest digest = Sha256.newDigest();
            long size;
            try (FileChannel channel =
                    FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream out = new DigestOutputStream(
                        new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16), digest);
                body.writeTo(out);
                out.flush();
                size = channel.size();
                channel.force(true);
            }
            String sha = Sha256.hex(digest);
            if (size != expected.size() || !sha.equals(expected.sha256())) {
                throw new IOException(expected.name() + " from " + origin + ": got " + size
                        + " bytes with sha256 " + sha + ", expected " + expected.size()
                        + " bytes with sha256 " + expected.sha256());
            }
            Files.move(
                    temp,
                    dir.resolve(expected.name()),
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
