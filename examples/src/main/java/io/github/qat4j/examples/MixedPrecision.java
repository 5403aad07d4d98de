package io.github.qat4j.examples;

import io.github.qat4j.datasets.ImageSet;
import io.github.qat4j.datasets.Normalization;
import io.github.qat4j.layers.BitAllocation;
import io.github.qat4j.layers.Sensitivity;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The pipeline's {@code --size-budget} step: the sensitivity of each weight layer of the calibrated
 * QAT network at {@link Sensitivity#WEIGHT_WIDTHS}, on a calibration subset of the training images,
 * and the widths that fit the whole int8 model in the budget with the least predicted loss increase.
 *
 * @param budget the model size budget in bytes
 * @param configuredModelBytes the int8 file of the network at its configured widths
 * @param calibrationImages images the sensitivities were measured on
 * @param seconds time the analysis took
 */
record MixedPrecision(long budget, long configuredModelBytes, int calibrationImages, Sensitivity sensitivity,
                      BitAllocation allocation, double seconds) {
    private static final Logger log = LoggerFactory.getLogger(MixedPrecision.class);

    /** Training images the sensitivities are measured on: 16 passes over them take seconds for LeNet-5. */
    static final int CALIBRATION_IMAGES = 2048;

    /** Images per forward pass of the analysis. */
    private static final int BATCH = 256;

    /** The int8 file's size at the chosen widths: only the weights' bytes change with the widths. */
    long predictedModelBytes() {
        long configuredWeights = sensitivity.layers().stream().mapToLong(l -> l.weightBytes(l.configuredBits())).sum();
        return configuredModelBytes - configuredWeights + allocation.weightBytes();
    }

    /**
     * @param calibrated the QAT network at the configured widths, its activation ranges calibrated
     * @param dir where the configured network's int8 file is written for its size, then deleted
     */
    static MixedPrecision choose(Net calibrated, ImageSet train, Normalization normalization, long seed, long budget,
                                 Path dir) throws IOException {
        long start = System.nanoTime();
        ImageSet subset = train.sample(Math.min(CALIBRATION_IMAGES, train.size()), seed + 1);
        int n = subset.size();
        INDArray features = Nd4j.create(subset.toFloat(0, n, normalization),
                new long[] {n, subset.channels(), subset.height(), subset.width()});
        int[] labels = new int[n];
        java.util.Arrays.setAll(labels, subset::label);
        Sensitivity s = calibrated.sensitivity(features, labels, BATCH);
        Path file = Files.createTempFile(dir, "configured-widths", ".q8");
        long configuredBytes;
        try {
            calibrated.exportInt8(InputType.convolutional(train.height(), train.width(), train.channels()), file);
            configuredBytes = Files.size(file);
        } finally {
            Files.deleteIfExists(file);
        }
        BitAllocation a = BitAllocation.forModelBytes(s, budget, configuredBytes);
        MixedPrecision m = new MixedPrecision(budget, configuredBytes, n, s, a, (System.nanoTime() - start) / 1e9);
        log.info("sensitivity on {} training images in {}:\n{}", n, Report.seconds(m.seconds), m.table());
        return m;
    }

    /** Per layer and width: loss increase, accuracy, SQNR and weight bytes, the chosen width marked. */
    String table() {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-10s %4s %12s %9s %8s %10s%n",
                "layer", "bits", "loss change", "accuracy", "SQNR dB", "bytes"));
        for (Sensitivity.LayerSensitivity l : sensitivity.layers()) {
            for (Sensitivity.Point p : l.points()) {
                boolean chosen = allocation.widths().get(l.layer()) == p.bits();
                b.append(String.format(Locale.ROOT, "%-10s %4d %+12.5f %9s %8.1f %,10d%s%n", l.layer(), p.bits(),
                        p.loss() - sensitivity.loss(), Report.percent(p.accuracy()), p.sqnrDb(),
                        l.weightBytes(p.bits()), chosen ? "  <- chosen" : ""));
            }
        }
        b.append(String.format(Locale.ROOT, "at the configured widths: loss %.5f, accuracy %s; chosen widths %s, "
                        + "predicted loss increase %+.5f, predicted int8 model %,d bytes (budget %,d)",
                sensitivity.loss(), Report.percent(sensitivity.accuracy()), allocation.widths(),
                allocation.predictedLossIncrease(), predictedModelBytes(), budget));
        return b.toString();
    }
}
