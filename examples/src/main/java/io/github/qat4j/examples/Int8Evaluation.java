package io.github.qat4j.examples;

import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.datasets.ImageSet;
import io.github.qat4j.datasets.Normalization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import me.tongfei.progressbar.ProgressBar;

/**
 * An exported int8 model measured with the runtime alone (no DL4J): its predictions on the test
 * set, its file size and its single-image latency.
 *
 * @param predictions the class the runtime predicts for each test image
 * @param modelBytes size of the model file
 * @param latencyMillisBatch1 median time of one {@code predict} on one image
 */
public record Int8Evaluation(Predictions predictions, long modelBytes, double latencyMillisBatch1) {
    /** Images per {@code predictBatch} call: large enough for the runtime to split across the cores. */
    private static final int BATCH = 256;

    public static Int8Evaluation of(Path modelFile, ImageSet test, Normalization normalization) throws IOException {
        return of(Int8Model.load(modelFile), modelFile, test, normalization);
    }

    /** {@link #of(Path, ImageSet, Normalization)} of {@code model}, already loaded from {@code modelFile}. */
    public static Int8Evaluation of(Int8Model model, Path modelFile, ImageSet test, Normalization normalization)
            throws IOException {
        int expected = Arrays.stream(model.inputShape()).reduce(1, (a, b) -> a * b);
        if (expected != test.imageSize()) {
            throw new IllegalArgumentException(
                    modelFile + " takes inputs of shape " + Arrays.toString(model.inputShape()) + " but the images are "
                            + test.channels() + "x" + test.height() + "x" + test.width());
        }
        int classes = model.outputShape()[model.outputShape().length - 1];
        if (classes != test.numClasses()) {
            throw new IllegalArgumentException(
                    modelFile + " has " + classes + " outputs but the data set has " + test.numClasses() + " classes");
        }
        int[] predicted = new int[test.size()];
        Evaluator progress = new Evaluator(test, normalization);
        try (ProgressBar bar = progress.bar("int8 runtime test")) {
            for (int from = 0; from < test.size(); from += BATCH) {
                int count = Math.min(BATCH, test.size() - from);
                float[] out = model.predictBatch(test.toFloat(from, count, normalization), count);
                for (int i = 0; i < count; i++) {
                    predicted[from + i] = argMax(out, i * classes, classes);
                }
                bar.stepBy(count);
            }
        }
        float[] one = test.toFloat(0, 1, normalization);
        double latency = Latency.medianMillis(() -> model.predict(one));
        return new Int8Evaluation(
                new Predictions(predicted, progress.labels(), test.numClasses()), Files.size(modelFile), latency);
    }

    private static int argMax(float[] v, int offset, int size) {
        int best = 0;
        for (int i = 1; i < size; i++) {
            if (v[offset + i] > v[offset + best]) {
                best = i;
            }
        }
        return best;
    }
}
