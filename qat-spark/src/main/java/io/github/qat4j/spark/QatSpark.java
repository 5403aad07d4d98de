package io.github.qat4j.spark;

import io.github.qat4j.layers.FakeQuantLayer;
import io.github.qat4j.layers.QatWeightLayer;
import io.github.qat4j.layers.QuantizerConfig;
import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.dataset.DataSet;

/**
 * QAT fine-tuning of a {@code Qat.prepare}d network on Spark with DL4J's parameter averaging:
 *
 * <pre>{@code
 * MultiLayerNetwork qat = Qat.prepare(floatNet, new QatConfig().observeIterations(0));
 * Qat.calibrate(qat, trainIterator, 20);                       // activation ranges, on the driver
 * SparkDl4jMultiLayer spark = new SparkDl4jMultiLayer(sc, qat, QatSpark.averaging(32, 5));
 * QatSpark.fit(spark, trainRdd);                               // one epoch; qat holds the averaged result
 * }</pre>
 *
 * <p>The QAT layers keep all their state in DL4J parameters, so the training master broadcasts it
 * with the weights and, after every {@code averagingFrequency} iterations per worker, replaces it by
 * the mean over the workers. What that mean is depends on the quantizer's stage:
 * <ul>
 *   <li><b>learn</b> and <b>frozen</b>: the weight and activation scales are trained parameters (LSQ)
 *       and average like the weights; the observer state (zero point, running min/max, observed flag)
 *       no longer changes, so every worker returns the driver's values and their mean is those values
 *       exactly (the sum of N equal floats is exact for N &lt;= 2^24 / |value|, and so is the division:
 *       an integer zero point stays an integer).</li>
 *   <li><b>observe</b>: each worker's EMA runs over its own batches. The mean of the running min/max
 *       would be acceptable (an EMA is linear, so the mean of the workers' EMAs is the EMA of the mean
 *       of their batch ranges: a range from more images, not a worse one), but the mean of the workers'
 *       scales is not the scale of that range, and the mean of their zero points is in general not an
 *       integer; {@code FakeQuantLayer} truncates it. The weight observer recomputes scales from the
 *       weights, and the mean of per-worker scales is not the scale of the mean weights either.</li>
 * </ul>
 * So {@link #fit} accepts only a network whose quantizers are all past the observe stage at its
 * iteration count, and whose activation quantizers have been observed: calibrate on the driver
 * ({@code Qat.calibrate}) and prepare with {@code observeIterations(0)}, or run the observe stage in a
 * single JVM first. The stage schedule itself stays consistent: every round starts all workers at the
 * driver's iteration count, and the training master adds {@code averagingFrequency} to it after the
 * round, so a freeze iteration takes effect at the first round boundary at or after it.
 *
 * <p>Gradient sharing ({@code SharedTrainingMaster}) is not supported: it transmits gradients alone,
 * and the driver's quantizers then keep their initial state (seen with DL4J 1.0.0-M2).
 */
public final class QatSpark {
    private QatSpark() {
    }

    /**
     * Parameter averaging with {@code batchSizePerWorker} examples per worker step, averaged every
     * {@code averagingFrequency} steps, the workers' updater state averaged as well (DL4J's default),
     * and RDDs of one {@link DataSet} per batch of that size fed to the workers directly: DL4J's
     * default, exporting the RDD to files first, needs a file system every executor shares.
     */
    public static ParameterAveragingTrainingMaster averaging(int batchSizePerWorker, int averagingFrequency) {
        if (batchSizePerWorker < 1 || averagingFrequency < 1) {
            throw new IllegalArgumentException("batch size per worker and averaging frequency must be >= 1, got "
                    + batchSizePerWorker + " and " + averagingFrequency);
        }
        return new ParameterAveragingTrainingMaster.Builder(batchSizePerWorker)
                .batchSizePerWorker(batchSizePerWorker)
                .averagingFrequency(averagingFrequency)
                .workerPrefetchNumBatches(2)
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                .build();
    }

    /** One epoch over {@code data}; the driver's network then holds the averaged parameters. */
    public static void fit(SparkDl4jMultiLayer spark, JavaRDD<DataSet> data) {
        requirePastObserve(spark.getNetwork().getLayers(), spark.getNetwork().getIterationCount());
        spark.fit(data);
    }

    /** {@link #fit(SparkDl4jMultiLayer, JavaRDD)} for a graph. */
    public static void fit(SparkComputationGraph spark, JavaRDD<DataSet> data) {
        requirePastObserve(spark.getNetwork().getLayers(), spark.getNetwork().getIterationCount());
        spark.fit(data);
    }

    /** Throws, naming the quantizer, when parameter averaging would merge one of them wrongly (see above). */
    static void requirePastObserve(Layer[] layers, int iteration) {
        for (Layer l : layers) {
            org.deeplearning4j.nn.conf.layers.Layer conf = l.conf().getLayer();
            QuantizerConfig q = conf instanceof FakeQuantLayer f ? f.getQuant()
                    : conf instanceof QatWeightLayer w ? w.getWeightQuant() : null;
            if (q == null || !q.isEnabled()) {
                continue;
            }
            String what = (conf instanceof FakeQuantLayer ? "activation" : "weight") + " quantizer of layer \""
                    + conf.getLayerName() + "\"";
            if (q.stage(iteration) == QuantizerConfig.Stage.OBSERVE) {
                throw new IllegalStateException(what + " is in its observe stage at iteration " + iteration
                        + " (observeIterations " + q.getObserveIterations() + "): parameter averaging would average "
                        + "its scale and zero point; calibrate on the driver (Qat.calibrate) and prepare with "
                        + "observeIterations(0), or train the observe stage in one JVM first");
            }
            if (conf instanceof FakeQuantLayer && l.getParam(FakeQuantLayer.OBSERVED).getDouble(0) == 0) {
                throw new IllegalStateException(what + " has never observed a batch, so its range is unset; "
                        + "calibrate it on the driver (Qat.calibrate) before training on Spark");
            }
        }
    }
}
