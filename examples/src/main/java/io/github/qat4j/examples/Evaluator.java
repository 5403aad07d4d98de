package io.github.qat4j.examples;

import io.github.qat4j.datasets.ImageSet;
import io.github.qat4j.datasets.ImageSetIterator;
import io.github.qat4j.datasets.Normalization;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/** Classifies the test set with a network, and times single-image inference. */
final class Evaluator {
    private static final int BATCH = 250;

    private final ImageSet test;
    private final Normalization normalization;
    /**
     * The last predictions per network and its iteration count: the pipeline's final measure asks
     * again for what the last training epoch already evaluated, which costs a pass over the test set.
     */
    private final Map<Model, Map.Entry<Integer, Predictions>> last = new IdentityHashMap<>();

    Evaluator(ImageSet test, Normalization normalization) {
        this.test = test;
        this.normalization = normalization;
    }

    ImageSet test() {
        return test;
    }

    Normalization normalization() {
        return normalization;
    }

    Predictions predict(Net net, String task) {
        Map.Entry<Integer, Predictions> cached = last.get(net.model());
        if (cached != null && cached.getKey() == net.iterationCount()) {
            return cached.getValue();
        }
        DataSetIterator data = ImageSetIterator.builder(test)
                .batchSize(BATCH)
                .normalization(normalization)
                .build();
        int[] predicted = new int[test.size()];
        int at = 0;
        try (ProgressBar bar = bar(task)) {
            while (data.hasNext()) {
                DataSet batch = data.next();
                int[] classes = Nd4j.argMax(net.output(batch.getFeatures()), 1).toIntVector();
                System.arraycopy(classes, 0, predicted, at, classes.length);
                at += classes.length;
                bar.stepBy(classes.length);
            }
        }
        Predictions predictions = new Predictions(predicted, labels(), test.numClasses());
        last.put(net.model(), Map.entry(net.iterationCount(), predictions));
        return predictions;
    }

    int[] labels() {
        int[] labels = new int[test.size()];
        Arrays.setAll(labels, test::label);
        return labels;
    }

    ProgressBar bar(String task) {
        return new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(test.size())
                .setUnit(" images", 1)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500)
                .setMaxRenderedLength(120)
                .build();
    }

    /** Median milliseconds of one single-image forward pass, after a warm-up. */
    double latencyMillisBatch1(Net net) {
        INDArray one = Nd4j.create(
                test.toFloat(0, 1, normalization), new long[] {1, test.channels(), test.height(), test.width()});
        return Latency.medianMillis(() -> net.output(one));
    }
}
