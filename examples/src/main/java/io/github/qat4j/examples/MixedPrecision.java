package io.github.qat4j.examples;

import io.github.qat4j.datasets.ImageSet;
import io.github.qat4j.datasets.Normalization;
import io.github.qat4j.layers.analysis.BitAllocation;
import io.github.qat4j.layers.analysis.Sensitivity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's {@code --size-budget} step: the sensitivity of each weight layer of the calibrated
 * QAT network at {@link Sensitivity#WEIGHT_WIDTHS}, on a calibration subset of the training images,
 * and the widths that fit the whole int8 model in the budget with the least predicted loss increase.
 * For the size-accuracy frontier it also keeps the knapsack's predicted frontier and, measured on the
 * same images before any fine-tuning, every layer at each width and the chosen widths.
 *
 * @param budget the model size budget in bytes
 * @param configuredModelBytes the int8 file of the network at its configured widths
 * @param calibrationImages images the sensitivities were measured on
 * @param frontier the knapsack's frontier, from the smallest model to the largest
 * @param uniform every layer at each width of {@link Sensitivity#WEIGHT_WIDTHS}, measured
 * @param chosen the chosen widths, measured
 * @param seconds time the analysis took
 */
record MixedPrecision(
        long budget,
        long configuredModelBytes,
        int calibrationImages,
        Sensitivity sensitivity,
        BitAllocation allocation,
        List<BitAllocation> frontier,
        List<Measured> uniform,
        Measured chosen,
        double seconds) {
    private static final Logger log = LoggerFactory.getLogger(MixedPrecision.class);

    /** Training images the sensitivities are measured on: 16 passes over them take seconds for LeNet-5. */
    static final int CALIBRATION_IMAGES = 2048;

    /** Images per forward pass of the analysis. */
    private static final int BATCH = 256;

    /**
     * A configuration measured directly on the calibration images, no fine-tuning.
     *
     * @param name "W4" for every layer at 4 bits, "chosen" for the allocation
     */
    record Measured(String name, BitAllocation allocation, Sensitivity.Measurement measurement) {}

    /** The uniform widths, then the chosen ones. */
    List<Measured> measured() {
        List<Measured> all = new ArrayList<>(uniform);
        all.add(chosen);
        return all;
    }

    /** The int8 file's size at the chosen widths. */
    long predictedModelBytes() {
        return modelBytes(allocation);
    }

    /** The knapsack's loss at {@code widths}: the configured widths' plus each layer's increase measured alone. */
    double predictedLoss(BitAllocation widths) {
        return sensitivity.loss() + widths.predictedLossIncrease();
    }

    /** The int8 file's size at {@code widths}: only the weights' bytes change with the widths. */
    long modelBytes(BitAllocation widths) {
        long configuredWeights = sensitivity.layers().stream()
                .mapToLong(l -> l.weightBytes(l.configuredBits()))
                .sum();
        return configuredModelBytes - configuredWeights + widths.weightBytes();
    }

    /**
     * @param calibrated the QAT network at the configured widths, its activation ranges calibrated
     * @param dir where the configured network's int8 file is written for its size, then deleted
     */
    static MixedPrecision choose(
            Net calibrated, ImageSet train, Normalization normalization, long seed, long budget, Path dir)
            throws IOException {
        long start = System.nanoTime();
        ImageSet subset = train.sample(Math.min(CALIBRATION_IMAGES, train.size()), seed + 1);
        int n = subset.size();
        INDArray features = Nd4j.create(
                subset.toFloat(0, n, normalization),
                new long[] {n, subset.channels(), subset.height(), subset.width()});
        int[] labels = new int[n];
        java.util.Arrays.setAll(labels, subset::label);
        Sensitivity s = calibrated.sensitivity(features, labels, BATCH);
        Path file = Files.createTempFile(dir, "configured-widths", ".q8");
        long configuredBytes;
        try {
            calibrated.exportInt8(
                    InputType.convolutional(train.height(), train.width(), train.channels()),
                    Net.inputPreprocessing(normalization),
                    file);
            configuredBytes = Files.size(file);
        } finally {
            Files.deleteIfExists(file);
        }
        BitAllocation a = BitAllocation.forModelBytes(s, budget, configuredBytes);
        List<Measured> uniform = new ArrayList<>();
        for (int bits : Sensitivity.WEIGHT_WIDTHS) {
            BitAllocation u = BitAllocation.uniform(s, bits);
            uniform.add(new Measured("W" + bits, u, calibrated.measure(features, labels, BATCH, u.widths())));
        }
        Measured chosen = new Measured("chosen", a, calibrated.measure(features, labels, BATCH, a.widths()));
        MixedPrecision m = new MixedPrecision(
                budget,
                configuredBytes,
                n,
                s,
                a,
                BitAllocation.frontier(s),
                uniform,
                chosen,
                (System.nanoTime() - start) / 1e9);
        log.info("sensitivity on {} training images in {}:\n{}", n, Report.seconds(m.seconds), m.table());
        return m;
    }

    /** Per layer and width: loss increase, accuracy, SQNR and weight bytes, the chosen width marked. */
    String table() {
        StringBuilder b = new StringBuilder(String.format(
                Locale.ROOT,
                "%-10s %4s %12s %9s %8s %10s%n",
                "layer",
                "bits",
                "loss change",
                "accuracy",
                "SQNR dB",
                "bytes"));
        for (Sensitivity.LayerSensitivity l : sensitivity.layers()) {
            for (Sensitivity.Point p : l.points()) {
                boolean chosen = allocation.widths().get(l.layer()) == p.bits();
                b.append(String.format(
                        Locale.ROOT,
                        "%-10s %4d %+12.5f %9s %8.1f %,10d%s%n",
                        l.layer(),
                        p.bits(),
                        p.loss() - sensitivity.loss(),
                        Report.percent(p.accuracy()),
                        p.sqnrDb(),
                        l.weightBytes(p.bits()),
                        chosen ? "  <- chosen" : ""));
            }
        }
        b.append(String.format(
                Locale.ROOT,
                "at the configured widths: loss %.5f, accuracy %s; chosen widths %s, "
                        + "predicted loss increase %+.5f, predicted int8 model %,d bytes (budget %,d)%n",
                sensitivity.loss(),
                Report.percent(sensitivity.accuracy()),
                allocation.widths(),
                allocation.predictedLossIncrease(),
                predictedModelBytes(),
                budget));
        b.append(String.format(
                Locale.ROOT,
                "%-8s %10s %15s %14s %9s%n",
                "widths",
                "bytes",
                "predicted loss",
                "measured loss",
                "accuracy"));
        for (Measured c : measured()) {
            b.append(String.format(
                    Locale.ROOT,
                    "%-8s %,10d %15.5f %14.5f %9s%n",
                    c.name(),
                    modelBytes(c.allocation()),
                    predictedLoss(c.allocation()),
                    c.measurement().loss(),
                    Report.percent(c.measurement().accuracy())));
        }
        return b.toString().stripTrailing();
    }
}
