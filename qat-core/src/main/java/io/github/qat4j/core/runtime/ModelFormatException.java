package io.github.qat4j.core.runtime;

import java.io.IOException;

/**
 * The one exception {@link Int8Model#load} throws for a malformed model file: truncated, corrupted
 * (checksum), forged lengths or shapes, unknown ops, a newer format version, or ops whose shapes
 * do not fit together. The message says what is wrong and {@link #offset()} where.
 */
public final class ModelFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final long offset;

    public ModelFormatException(String what, long offset) {
        super(what + " (at byte offset " + offset + ")");
        this.offset = offset;
    }

    /** Byte offset in the file where the problem was found. */
    public long offset() {
        return offset;
    }
}
