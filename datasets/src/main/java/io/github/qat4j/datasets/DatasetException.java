package io.github.qat4j.datasets;

/**
 * The one exception this module throws for data that cannot be used: a file that is missing,
 * truncated, has the wrong magic number, dimensions, record count, size or checksum, a label out
 * of range, or an installation where every source failed. The message always names the file (or,
 * for an installation, every source tried and where to put the files by hand).
 *
 * <p>Unchecked, because a caller can rarely recover from bad training data except by fixing the
 * files, and the message says how.
 */
public final class DatasetException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param message what is wrong and with which file */
    public DatasetException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and with which file
     * @param cause the I/O error underneath
     */
    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
