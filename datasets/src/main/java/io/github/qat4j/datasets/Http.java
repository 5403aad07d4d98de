package io.github.qat4j.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;

/** Opens download streams that fail fast on an offline machine and never hang on a stalled one. */
final class Http {

    /** Long enough for a slow mirror to answer, short enough that an offline install falls through quickly. */
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    /** A per-read limit, not a total: a 170 MB download may take minutes but must keep moving. */
    private static final int READ_TIMEOUT_MS = 30_000;

    private Http() {}

    static InputStream open(URI uri) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) uri.toURL().openConnection();
        connection.setConnectTimeout(CONNECT_TIMEOUT_MS);
        connection.setReadTimeout(READ_TIMEOUT_MS);
        connection.setInstanceFollowRedirects(true);
        int status = connection.getResponseCode();
        if (status != HttpURLConnection.HTTP_OK) {
            connection.disconnect();
            throw new IOException("HTTP " + status + " from " + uri);
        }
        return connection.getInputStream();
    }
}
