package io.github.qat4j.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetInstallerTest {

    private static final byte[] A = Fixtures.random(3000, 1);
    private static final byte[] B = Fixtures.random(5000, 2);
    private static final ExpectedFile FILE_A = Fixtures.expected("a.bin", A);
    private static final ExpectedFile FILE_B = Fixtures.expected("b.bin", B);

    @TempDir
    Path root;

    @TempDir
    Path elsewhere;

    private static DatasetSpec spec(List<Source> downloads, List<Source> packaged) {
        return new DatasetSpec(
                "toy",
                "Toy",
                List.of(FILE_A, FILE_B),
                Map.of("names.txt", List.of("x", "y")),
                downloads,
                packaged,
                "the toy files");
    }

    private Path cache() {
        return root.resolve("toy");
    }

    private void assertInstalled() throws IOException {
        assertArrayEquals(A, Files.readAllBytes(cache().resolve("a.bin")));
        assertArrayEquals(B, Files.readAllBytes(cache().resolve("b.bin")));
        assertEquals("x\ny\n", Files.readString(cache().resolve("names.txt")));
        try (Stream<Path> files = Files.list(cache())) {
            assertEquals(
                    List.of("a.bin", "b.bin", "names.txt"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary files left");
        }
    }

    /** A source that must not be asked. */
    private static Source unused() {
        return new Source() {
            @Override
            public String description() {
                return "unused";
            }

            @Override
            public void fetch(Path dir, List<ExpectedFile> missing) {
                fail("asked for " + missing + " although the cache was complete");
            }
        };
    }

    /** A source whose stream delivers {@code cut} good bytes of each file and then fails, like a dropped connection. */
    private static Source interrupted(int cut) {
        return new Source() {
            @Override
            public String description() {
                return "flaky mirror";
            }

            @Override
            public void fetch(Path dir, List<ExpectedFile> missing) throws IOException {
                for (ExpectedFile file : missing) {
                    byte[] content = file.equals(FILE_A) ? A : B;
                    InputStream failing = new InputStream() {
                        private final InputStream good = new ByteArrayInputStream(content, 0, cut);

                        @Override
                        public int read() throws IOException {
                            int b = good.read();
                            if (b < 0) {
                                throw new IOException("connection reset after " + cut + " bytes");
                            }
                            return b;
                        }
                    };
                    VerifiedWriter.copy(dir, file, failing, "flaky mirror");
                }
            }
        };
    }

    @Test
    void verifiedCacheIsUsedWithoutAskingAnySource() throws IOException {
        Fixtures.write(cache().resolve("a.bin"), A);
        Fixtures.write(cache().resolve("b.bin"), B);
        Path dir = new DatasetInstaller(spec(List.of(unused()), List.of(unused())))
                .dataRoot(root)
                .install();
        assertEquals(cache(), dir);
        assertInstalled();
    }

    @Test
    void filesComeFromTheSourceDirectoryRawOrGzipped() throws IOException {
        Fixtures.write(elsewhere.resolve("a.bin"), A);
        Fixtures.write(elsewhere.resolve("b.bin.gz"), Fixtures.gzip(B));
        new DatasetInstaller(spec(List.of(unused()), List.of(unused())))
                .dataRoot(root)
                .sourceDir(elsewhere)
                .install();
        assertInstalled();
    }

    @Test
    void corruptedCachedFileIsDetectedAndReplaced() throws IOException {
        Fixtures.write(cache().resolve("a.bin"), A);
        byte[] flipped = B.clone();
        flipped[1234] ^= 1;
        Fixtures.write(cache().resolve("b.bin"), flipped);
        Fixtures.write(cache().resolve("names.txt"), "x\nwrong\n".getBytes());
        Fixtures.write(elsewhere.resolve("b.bin"), B);
        new DatasetInstaller(spec(List.of(), List.of()))
                .dataRoot(root)
                .sourceDir(elsewhere)
                .install();
        assertInstalled();
    }

    @Test
    void interruptedDownloadLeavesNoFileUnderTheFinalName() throws IOException {
        DatasetInstaller installer = new DatasetInstaller(spec(List.of(interrupted(1000)), List.of())).dataRoot(root);
        DatasetException e = assertThrows(DatasetException.class, installer::install);
        assertTrue(e.getMessage().contains("flaky mirror: connection reset after 1000 bytes"), e.getMessage());
        try (Stream<Path> files = Files.list(cache())) {
            assertEquals(List.of(), files.toList(), "neither final nor temporary files");
        }
    }

    @Test
    void wrongBytesFromASourceAreNotInstalled() throws IOException {
        Fixtures.write(elsewhere.resolve("a.bin"), A);
        Fixtures.write(elsewhere.resolve("b.bin"), A);
        DatasetInstaller installer =
                new DatasetInstaller(spec(List.of(), List.of())).dataRoot(root).sourceDir(elsewhere);
        DatasetException e = assertThrows(DatasetException.class, installer::install);
        assertTrue(
                e.getMessage()
                        .contains("b.bin from " + elsewhere.resolve("b.bin") + ": got 3000 bytes with sha256 "
                                + FILE_A.sha256() + ", expected 5000 bytes with sha256 " + FILE_B.sha256()),
                e.getMessage());
        assertTrue(Files.exists(cache().resolve("a.bin")), "the good file is kept for next time");
        assertFalse(Files.exists(cache().resolve("b.bin")));
    }

    @Test
    void laterSourcesGetOnlyWhatEarlierOnesLeftMissing() throws IOException {
        Fixtures.write(elsewhere.resolve("a.bin"), A);
        Source onlyB = new Source() {
            @Override
            public String description() {
                return "only b";
            }

            @Override
            public void fetch(Path dir, List<ExpectedFile> missing) throws IOException {
                assertEquals(List.of(FILE_B), missing);
                VerifiedWriter.write(dir, FILE_B, B, "test");
            }
        };
        new DatasetInstaller(spec(List.of(onlyB), List.of()))
                .dataRoot(root)
                .sourceDir(elsewhere)
                .install();
        assertInstalled();
    }

    @Test
    void archiveSourceExtractsTheWantedEntries() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("package/readme.md", "hello".getBytes());
        entries.put("package/data/b.bin", B);
        entries.put("package/data/a.bin", A);
        Path tarball = Fixtures.write(elsewhere.resolve("p.tgz"), Fixtures.tarGz(entries));
        Source archive = new ArchiveSource("test archive", work -> Files.newInputStream(tarball), "package/data/");
        new DatasetInstaller(spec(List.of(), List.of(archive))).dataRoot(root).install();
        assertInstalled();
    }

    @Test
    void archiveLackingAFileSaysWhich() throws IOException {
        Path tarball = Fixtures.write(elsewhere.resolve("p.tgz"), Fixtures.tarGz(Map.of("package/data/a.bin", A)));
        Source archive = new ArchiveSource("test archive", work -> Files.newInputStream(tarball), "package/data/");
        DatasetException e = assertThrows(
                DatasetException.class,
                () -> new DatasetInstaller(spec(List.of(), List.of(archive)))
                        .dataRoot(root)
                        .install());
        assertTrue(e.getMessage().contains("test archive: the archive lacks [package/data/b.bin]"), e.getMessage());
    }

    @Test
    void whenEverySourceFailsTheMessageListsEachAndSaysWhereToPutTheFiles() throws IOException {
        Fixtures.write(cache().resolve("a.bin"), A);
        Fixtures.write(cache().resolve("b.bin"), A);
        Source refusedMirror = new MirrorSource(List.of(URI.create("http://127.0.0.1:9/")));
        Source noNpm = new ArchiveSource(
                "npm pack toy@1.0",
                work -> {
                    throw new IOException("npm is not on the PATH");
                },
                "package/");
        DatasetInstaller installer = new DatasetInstaller(spec(List.of(refusedMirror), List.of(noNpm)))
                .dataRoot(root)
                .sourceDir(elsewhere.resolve("nowhere"));
        long start = System.nanoTime();
        DatasetException e = assertThrows(DatasetException.class, installer::install);
        assertTrue(System.nanoTime() - start < 10_000_000_000L, "an offline machine must fail fast");
        String message = e.getMessage();
        for (String expected : List.of(
                "Could not install Toy into " + cache() + ". Tried, in order:",
                "  - cache directory " + cache() + ": b.bin size 3000 bytes, expected 5000",
                "  - source directory " + elsewhere.resolve("nowhere") + ": no such directory",
                "  - download from [http://127.0.0.1:9/]: http://127.0.0.1:9/: java.net.ConnectException",
                "  - npm pack toy@1.0: npm is not on the PATH",
                "To install by hand, put these files into " + cache() + ":\n  b.bin (5000 bytes, sha256 "
                        + FILE_B.sha256() + ")",
                "(the toy files), or pass a directory holding them, raw or as .gz, to DatasetInstaller.sourceDir(...).")) {
            assertTrue(message.contains(expected), () -> "missing '" + expected + "' in:\n" + message);
        }
        assertFalse(message.contains("a.bin ("), "a.bin was fine and need not be placed by hand");
    }

    @Test
    void checksumMismatchOfACachedFileIsReportedWithTheFile() throws IOException {
        Fixtures.write(cache().resolve("a.bin"), A);
        byte[] flipped = B.clone();
        flipped[0] ^= 1;
        Fixtures.write(cache().resolve("b.bin"), flipped);
        DatasetException e = assertThrows(
                DatasetException.class,
                () -> new DatasetInstaller(spec(List.of(), List.of()))
                        .dataRoot(root)
                        .install());
        assertTrue(
                e.getMessage()
                        .contains("cache directory " + cache() + ": b.bin sha256 mismatch: " + Sha256.of(flipped)
                                + ", expected " + FILE_B.sha256()),
                e.getMessage());
    }

    @Test
    void downloadsCanBeSwitchedOff() {
        DatasetInstaller installer = new DatasetInstaller(spec(List.of(unused()), List.of()))
                .dataRoot(root)
                .download(false);
        DatasetException e = assertThrows(DatasetException.class, installer::install);
        assertFalse(e.getMessage().contains("unused"), e.getMessage());
    }

    @Test
    void theCacheDirectoryIsNamedAfterTheDataSetUnderTheRoot() {
        assertEquals(
                root.resolve("mnist"), DatasetInstaller.mnist().dataRoot(root).directory());
        assertEquals(
                root.resolve("cifar10"),
                DatasetInstaller.cifar10().dataRoot(root).directory());
        assertEquals(
                DatasetInstaller.defaultDataRoot().resolve("mnist"),
                DatasetInstaller.mnist().directory());
    }
}
