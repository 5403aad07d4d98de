package io.github.qat4j.datasets;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;

/**
 * Reads the regular files of a {@code .tar.gz} in one streaming pass, enough for npm tarballs
 * and the CIFAR-10 archive (ustar headers, short paths). Written here rather than adding
 * Commons Compress for the hundred lines it takes.
 */
final class TarStream {

    /** Receives each regular file; {@code content} ends at the file's end and need not be read to it. */
    @FunctionalInterface
    interface Visitor {
        void file(String path, long size, InputStream content) throws IOException;
    }

    private static final int BLOCK = 512;

    private TarStream() {}

    static void readGzipped(InputStream gzipped, Visitor visitor) throws IOException {
        read(new GZIPInputStream(gzipped, 1 << 16), visitor);
    }

    static void read(InputStream tar, Visitor visitor) throws IOException {
        byte[] header = new byte[BLOCK];
        while (true) {
            readFully(tar, header, "header");
            if (isZero(header)) {
                return;
            }
            String path = field(header, 345, 155).isEmpty()
                    ? field(header, 0, 100)
                    : field(header, 345, 155) + "/" + field(header, 0, 100);
            long size = octal(header, 124, 12, path);
            byte type = header[156];
            BoundedStream content = new BoundedStream(tar, size);
            if (type == '0' || type == 0) {
                visitor.file(path, size, content);
            }
            content.skipRest();
            long padding = (BLOCK - size % BLOCK) % BLOCK;
            skipFully(tar, padding, path);
        }
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static String field(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] header, int offset, int length, String path) throws IOException {
        String text = field(header, offset, length).trim();
        try {
            long value = Long.parseLong(text, 8);
            if (value < 0) {
                throw new NumberFormatException(text);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IOException("tar entry " + path + ": bad size field '" + text + "'", e);
        }
    }

    private static void readFully(InputStream in, byte[] buffer, String what) throws IOException {
        if (in.readNBytes(buffer, 0, buffer.length) != buffer.length) {
            throw new EOFException("tar archive truncated in a " + what);
        }
    }

    private static void skipFully(InputStream in, long count, String path) throws IOException {
        try {
            in.skipNBytes(count);
        } catch (EOFException e) {
            throw new EOFException("tar archive truncated in entry " + path);
        }
    }

    /** An entry's bytes: reads stop at its end, and a short archive is an error, not an early end. */
    private static final class BoundedStream extends InputStream {
        private final InputStream in;
        private long remaining;

        BoundedStream(InputStream in, long size) {
            this.in = in;
            this.remaining = size;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining == 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n < 0) {
                throw new EOFException("tar archive truncated inside an entry");
            }
            remaining -= n;
            return n;
        }

        void skipRest() throws IOException {
            try {
                in.skipNBytes(remaining);
            } catch (EOFException e) {
                throw new EOFException("tar archive truncated inside an entry");
            }
            remaining = 0;
        }

        @Override
        public void close() {
            // The archive stream belongs to TarStream; a visitor closing its entry must not end it.
        }
    }
}
