package io.github.qat4j.spark;

import io.github.qat4j.layers.FakeQuantLayer;
import io.github.qat4j.layers.QatWeightLayer;
import io.github.qat4j.layers.QuantizerConfig;
import io.github.qat4j.layers.prepare.Qat;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * QAT fine-tuning of a {@link Qat#prepare}d network on Spark with DL4J's parameter averaging:
 *
 * <pre>{@code
 * MultiLayerNetwork qat = Qat.prepare(floatNet, new QatConfig());
 * QatSpark.observeOnDriver(qat, trainIterator, 200);           // activation ranges, on the driver
 * SparkDl4jMultiLayer spark = QatSpark.multiLayer(sc, qat, QatSpark.parameterAveraging(32, 5));
 * spark.fit(trainRdd);                                         // JavaRDD<DataSet>, 32 images each: one epoch
 * Int8Exporter.export(qat, inputType, file);                   // qat holds the averaged result
 * }</pre>
 *
 * <p><b>What merging means for the QAT state.</b> The QAT layers keep all their state in DL4J
 * parameters, so the training master broadcasts it with the weights and, after every
 * {@code averagingFrequency} iterations per worker, replaces it by the mean over the workers. What
 * that mean is depends on the quantizer's stage:
 * <ul>
 *   <li><b>learn</b> and <b>frozen</b>: the weight and activation scales are trained parameters (LSQ)
 *       and average like the weights (a folded BatchNorm's running statistics average as DL4J averages
 *       a BatchNorm's). The observer state (zero point, running min/max, observed flag) has neither
 *       gradient nor updater and no longer changes, so every worker returns the driver's values and
 *       their mean is those values exactly: N equal floats sum exactly while N times the value is
 *       representable, and the division by N then gives the value back; an integer zero point stays
 *       that integer.</li>
 *   <li><b>observe</b>: each worker's EMA runs over its own batches. The mean of the running min/max
 *       alone would be acceptable (an EMA is linear, so the mean of the workers' EMAs is the EMA of the
 *       mean of their batch ranges: a range from more images, not a worse one). But the mean of the
 *       workers' scales is not the scale of that range, and the mean of their zero points is in
 *       general no integer, which the fake-quant forward truncates; the weight observers' scales,
 *       recomputed from each worker's weights, average to something that is not the scale of the mean
 *       weights either.</li>
 * </ul>
 * So the observe stage runs on the driver ({@link #observeOnDriver}), and {@link #multiLayer} and
 * {@link #graph} refuse a network with a quantizer that would observe on the workers. The stage
 * schedule stays consistent: every round starts all workers at the driver's iteration count, and the
 * training master adds {@code averagingFrequency} to it after the round, so schedules counted in
 * iterations (a freeze iteration, learning-rate decay) run as in one JVM, at round granularity.
 *
 * <p>Gradient sharing ({@code SharedTrainingMaster}) is not supported: it transmits gradients alone,
 * and the driver's quantizers then keep their initial state (seen with DL4J 1.0.0-M2).
 */
public final class QatSpark {
    private QatSpark() {}

    /**
     * Observes the activation ranges on up to {@code batches} batches on the driver ({@link Qat#calibrate}),
     * then ends the observe stage of every quantizer ({@link Qat#disableObservers}): the network is then
     * ready for {@link #multiLayer}.
     */
    public static void observeOnDriver(MultiLayerNetwork net, DataSetIterator data, int batches) {
        Qat.calibrate(net, data, batches);
        Qat.disableObservers(net.getLayers());
    }

    /** {@link #observeOnDriver(MultiLayerNetwork, DataSetIterator, int)} for a graph with one input. */
    public static void observeOnDriver(ComputationGraph graph, DataSetIterator data, int batches) {
        Qat.calibrate(graph, data, batches);
        Qat.disableObservers(graph.getLayers());
    }

    /**
     * Parameter averaging with {@code batchSizePerWorker} images per worker step, averaged every
     * {@code averagingFrequency} steps, the workers' updater state averaged as well, and the RDD
     * (of DataSets of {@code batchSizePerWorker} images each) handed to the workers directly: DL4J's
     * default, exporting it to files first, needs a file system every executor shares.
     */
    public static ParameterAveragingTrainingMaster parameterAveraging(int batchSizePerWorker, int averagingFrequency) {
        if (batchSizePerWorker < 1 || averagingFrequency < 1) {
            throw new IllegalArgumentException("batch size per worker and averaging frequency must be >= 1, got "
                    + batchSizePerWorker + " and " + averagingFrequency);
        }
        return new ParameterAveragingTrainingMaster.Builder(batchSizePerWorker)
                .batchSizePerWorker(batchSizePerWorker)
                .averagingFrequency(averagingFrequency)
                .workerPrefetchNumBatches(0)
                .saveUpdater(true)
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                .build();
    }

    /** DL4J's Spark wrapper of {@code net}, once no quantizer of it would observe on the workers. */
    public static SparkDl4jMultiLayer multiLayer(
            JavaSparkContext sc, MultiLayerNetwork net, ParameterAveragingTrainingMaster master) {
        requirePastObserve(net.getLayers(), net.getIterationCount());
        return new SparkDl4jMultiLayer(sc, net, master);
    }

    /** DL4J's Spark wrapper of {@code graph}, once no quantizer of it would observe on the workers. */
    public static SparkComputationGraph graph(
            JavaSparkContext sc, ComputationGraph graph, ParameterAveragingTrainingMaster master) {
        requirePastObserve(graph.getLayers(), graph.getIterationCount());
        return new SparkComputationGraph(sc, graph, master);
    }

    /**
     * Throws, naming the quantizer, when parameter averaging would merge one wrongly (see above). The
     * stage only moves forward with the iteration count, so what passes here stays past observing.
     */
    private static void requirePastObserve(Layer[] layers, int iteration) {
        for (Layer l : layers) {
            org.deeplearning4j.nn.conf.layers.Layer conf = l.conf().getLayer();
            QuantizerConfig q = conf instanceof FakeQuantLayer f
                    ? f.getQuant()
                    : conf instanceof QatWeightLayer w ? w.getWeightQuant() : null;
            if (q == null || !q.isEnabled()) {
                continue;
            }
            String what = (conf instanceof FakeQuantLayer ? "activation" : "weight") + " quantizer of layer \""
                    + conf.getLayerName() + "\"";
            if (q.stage(iteration) == QuantizerConfig.Stage.OBSERVE) {
                throw new IllegalStateException(what + " is in its observe stage at iteration " + iteration
                        + " (observeIterations " + q.getObserveIterations() + "): parameter averaging would average "
                        + "its scale and zero point; call QatSpark.observeOnDriver(net, data, batches) first");
            }
            if (conf instanceof FakeQuantLayer
                    && l.getParam(FakeQuantLayer.OBSERVED).getDouble(0) == 0) {
                throw new IllegalStateException(what + " has never observed a batch, so its range is unset; "
                        + "call QatSpark.observeOnDriver(net, data, batches) before training on Spark");
            }
        }
    }
}
