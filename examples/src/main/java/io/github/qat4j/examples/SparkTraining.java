package io.github.qat4j.examples;

import io.github.qat4j.spark.QatSpark;
import java.util.ArrayList;
import java.util.List;
import me.tongfei.progressbar.ProgressBar;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains epochs on Spark with DL4J's parameter averaging ({@link QatSpark}): the driver reads the
 * same shuffled batches as a single-JVM run and hands them to the workers, {@value #ROUNDS_PER_FIT}
 * averaging rounds per Spark job, so the progress bar moves and no job carries a whole epoch.
 */
final class SparkTraining implements Trainer.EpochFit, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SparkTraining.class);

    static final int ROUNDS_PER_FIT = 10;

    private final JavaSparkContext sc;
    private final int workers;
    private final int batchSize;
    private final int averagingFrequency;

    /**
     * @param master a Spark master URL, or null under spark-submit (which sets {@code spark.master})
     */
    SparkTraining(String master, int batchSize, int averagingFrequency) {
        SparkConf conf = new SparkConf()
                .setAppName("qat4j")
                .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                .set("spark.kryo.registrator", "org.nd4j.kryo.Nd4jRegistrator");
        if (master != null) {
            conf.setMaster(master);
        }
        this.sc = new JavaSparkContext(conf);
        this.workers = sc.defaultParallelism();
        this.batchSize = batchSize;
        this.averagingFrequency = averagingFrequency;
        log.info(
                "Spark {}: {} workers, batch {} per worker, parameters averaged every {} batches",
                sc.master(),
                workers,
                batchSize,
                averagingFrequency);
    }

    /** Whether this JVM was started by spark-submit, which passes the master as a system property. */
    static boolean underSparkSubmit() {
        return System.getProperty("spark.master") != null;
    }

    @Override
    public EpochStats fit(Net net, DataSetIterator data, int epoch, long batches, String task) {
        ParameterAveragingTrainingMaster master = QatSpark.parameterAveraging(batchSize, averagingFrequency);
        int batchesPerFit = workers * averagingFrequency * ROUNDS_PER_FIT;
        double lossSum = 0;
        long lossBatches = 0;
        try (ProgressBar bar = Trainer.progressBar(task + " (Spark)", batches)) {
            while (data.hasNext()) {
                List<DataSet> chunk = new ArrayList<>(batchesPerFit);
                while (chunk.size() < batchesPerFit && data.hasNext()) {
                    chunk.add((DataSet) data.next());
                }
                double loss = fit(net, chunk, master);
                if (!Double.isFinite(loss)) {
                    throw Trainer.diverged(task, "batch " + (bar.getCurrent() + chunk.size()), loss);
                }
                lossSum += loss * chunk.size();
                lossBatches += chunk.size();
                bar.stepBy(chunk.size());
                bar.setExtraMessage(String.format(java.util.Locale.ROOT, " loss %.4f", lossSum / lossBatches));
            }
        }
        return new EpochStats(epoch, lossSum / Math.max(1, lossBatches), Double.NaN, Double.NaN, 0);
    }

    /** One Spark job; the driver's network ends with the averaged parameters. @return the mean worker loss */
    private double fit(Net net, List<DataSet> chunk, ParameterAveragingTrainingMaster master) {
        var rdd = sc.parallelize(chunk, workers);
        if (net.model() instanceof MultiLayerNetwork m) {
            var spark = QatSpark.multiLayer(sc, m, master);
            spark.fit(rdd);
            return spark.getScore();
        }
        var spark = QatSpark.graph(sc, (ComputationGraph) net.model(), master);
        spark.fit(rdd);
        return spark.getScore();
    }

    @Override
    public void close() {
        sc.stop();
    }
}
