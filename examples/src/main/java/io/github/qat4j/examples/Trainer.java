package io.github.qat4j.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a network epoch by epoch under a progress bar, evaluates it on the test set after each
 * epoch and writes a {@link Checkpoint} then, so an interrupted run loses at most the epoch in flight.
 */
final class Trainer {
    private static final Logger log = LoggerFactory.getLogger(Trainer.class);

    /**
     * Running training accuracy needs an extra inference pass; on every 25th batch it costs about 1%
     * of the training time instead of a third, and 1/25 of an epoch is still thousands of images.
     */
    private static final int ACCURACY_EVERY = 25;

    private final String stage;
    private final Path checkpointFile;
    private final Supplier<DataSetIterator> trainData;
    private final long batchesPerEpoch;
    private final Evaluator evaluator;
    private final EpochBudget budget;
    private final EpochFit fit;

    /** One epoch of training: every batch of {@code data}, under a progress bar named {@code task}. */
    interface EpochFit {
        /** @return the epoch's mean training loss and running training accuracy (NaN where not measured) */
        EpochStats fit(Net net, DataSetIterator data, int epoch, long batches, String task);
    }

    /**
     * @param fit how an epoch is trained: {@link #inThisJvm} or on Spark
     * @param trainData a fresh iterator positioned at epoch 0 each call; epoch {@code e} is what it gives
     *     after {@code e} resets, so a resumed run sees the same batches as an uninterrupted one
     */
    Trainer(
            String stage,
            Path checkpointFile,
            Supplier<DataSetIterator> trainData,
            long batchesPerEpoch,
            Evaluator evaluator,
            EpochBudget budget,
            EpochFit fit) {
        this.stage = stage;
        this.checkpointFile = checkpointFile;
        this.trainData = trainData;
        this.batchesPerEpoch = batchesPerEpoch;
        this.evaluator = evaluator;
        this.budget = budget;
        this.fit = fit;
    }

    /**
     * Trains {@code from} until it has {@code epochs} epochs, or until the budget runs out.
     *
     * @return the last checkpoint written (or {@code from} when nothing was left to do)
     */
    Checkpoint train(Checkpoint from, int epochs) throws IOException {
        DataSetIterator data = trainData.get();
        for (int e = 0; e < from.epochsDone(); e++) {
            data.reset();
        }
        Checkpoint current = from;
        List<EpochStats> history = new ArrayList<>(from.history());
        for (int epoch = from.epochsDone() + 1; epoch <= epochs && budget.take(); epoch++) {
            long start = System.nanoTime();
            EpochStats partial = fit.fit(
                    current.net(),
                    data,
                    epoch,
                    batchesPerEpoch,
                    String.format(Locale.ROOT, "%s epoch %d/%d", stage, epoch, epochs));
            double seconds = (System.nanoTime() - start) / 1e9;
            double testAccuracy = evaluator
                    .predict(current.net(), stage + " test " + epoch + "/" + epochs)
                    .accuracy();
            EpochStats stats =
                    new EpochStats(epoch, partial.trainLoss(), partial.trainAccuracy(), testAccuracy, seconds);
            history.add(stats);
            current = new Checkpoint(current.net(), current.settings(), history);
            current.write(checkpointFile);
            log.info(String.format(
                    Locale.ROOT,
                    "%s epoch %d/%d: loss %.4f, test accuracy %.2f%%, %.0f s; checkpoint %s",
                    stage,
                    epoch,
                    epochs,
                    stats.trainLoss(),
                    100 * testAccuracy,
                    seconds,
                    checkpointFile));
            data.reset();
        }
        return current;
    }

    /** {@link EpochFit} batch by batch in this JVM. */
    static EpochStats inThisJvm(Net net, DataSetIterator data, int epoch, long batches, String task) {
        double lossSum = 0;
        int lossCount = 0;
        long correct = 0;
        long seen = 0;
        try (ProgressBar bar = progressBar(task, batches)) {
            for (int b = 0; data.hasNext(); b++) {
                DataSet batch = data.next();
                if (b % ACCURACY_EVERY == 0) {
                    INDArray predicted = Nd4j.argMax(net.output(batch.getFeatures()), 1);
                    INDArray truth = Nd4j.argMax(batch.getLabels(), 1);
                    correct +=
                            predicted.eq(truth).castTo(DataType.INT).sumNumber().longValue();
                    seen += predicted.length();
                }
                net.fit(batch);
                double loss = net.score();
                if (!Double.isFinite(loss)) {
                    throw diverged(task, "batch " + (b + 1), loss);
                }
                lossSum += loss;
                lossCount++;
                bar.step();
                bar.setExtraMessage(String.format(
                        Locale.ROOT,
                        " loss %.4f acc %.2f%%",
                        lossSum / lossCount,
                        seen == 0 ? 0 : 100.0 * correct / seen));
            }
        }
        return new EpochStats(
                epoch,
                lossSum / Math.max(1, lossCount),
                seen == 0 ? Double.NaN : (double) correct / seen,
                Double.NaN,
                0);
    }

    static ProgressBar progressBar(String task, long batches) {
        return new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(batches)
                .setUnit(" batches", 1)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500)
                .setMaxRenderedLength(120)
                .build();
    }

    static IllegalStateException diverged(String task, String where, double loss) {
        return new IllegalStateException(
                task + ": training diverged at " + where + " (loss " + loss + "); lower the learning rate");
    }
}
