package io.github.qat4j.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class TarStreamTest {

    @Test
    void readsEveryRegularFileWithItsExactContent() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("package/empty", new byte[0]);
        entries.put("package/block", Fixtures.random(512, 1));
        entries.put("package/odd", Fixtures.random(1300, 2));
        Map<String, byte[]> read = new LinkedHashMap<>();
        TarStream.readGzipped(
                new ByteArrayInputStream(Fixtures.tarGz(entries)),
                (path, size, content) -> read.put(path, content.readAllBytes()));
        assertEquals(entries.keySet(), read.keySet());
        for (String path : entries.keySet()) {
            assertArrayEquals(entries.get(path), read.get(path), path);
        }
    }

    @Test
    void aVisitorMayStopReadingAnEntryEarly() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("first", Fixtures.random(2000, 1));
        entries.put("second", "two".getBytes());
        Map<String, byte[]> read = new LinkedHashMap<>();
        TarStream.readGzipped(
                new ByteArrayInputStream(Fixtures.tarGz(entries)),
                (path, size, content) -> read.put(path, content.readNBytes(3)));
        assertArrayEquals("two".getBytes(), read.get("second"));
    }

    @Test
    void truncatedArchivesFailWithAnIoExceptionWherever() throws IOException {
        byte[] tar = new GZIPInputStream(new ByteArrayInputStream(Fixtures.tarGz(Map.of("x", Fixtures.random(700, 3)))))
                .readAllBytes();
        // Inside the header, inside the data, inside the padding.
        for (int length : new int[] {1, 300, 512, 600, 1100}) {
            byte[] cut = Arrays.copyOf(tar, length);
            assertThrows(
                    IOException.class,
                    () -> TarStream.read(
                            new ByteArrayInputStream(cut), (path, size, content) -> content.readAllBytes()),
                    "cut at " + length);
        }
    }

    @Test
    void aCorruptSizeFieldIsAnIoException() throws IOException {
        byte[] tar =
                new GZIPInputStream(new ByteArrayInputStream(Fixtures.tarGz(Map.of("x", new byte[10])))).readAllBytes();
        tar[124] = 'z';
        assertThrows(IOException.class, () -> TarStream.read(new ByteArrayInputStream(tar), (p, s, c) -> {}));
    }
}
