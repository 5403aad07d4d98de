package io.github.qat4j.examples.bench;

import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.examples.Models;
import io.github.qat4j.layers.export.Int8Exporter;
import io.github.qat4j.layers.prepare.Qat;
import io.github.qat4j.layers.prepare.QatConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * LeNet-5 ({@link Models#lenet}) on 28x28 inputs, side by side in one JVM: DL4J's float
 * {@code output()} against the exported
 * int8 model at batch 1 and 64, and a QAT training step against a float one at batch 64. Timing does
 * not depend on what the weights learned, so the network is initialised, prepared and calibrated on
 * random data. Setup prints the file sizes (float without updater state vs int8).
 *
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *   -cp examples/target/examples-0.1.0-SNAPSHOT.jar:$(cat examples/target/classpath.txt) \
 *   org.openjdk.jmh.Main LenetBenchmark -wi 5 -i 10 -f 1</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx4g"})
public class LenetBenchmark {
    @Param({"1", "64"})
    public int batch;

    private MultiLayerNetwork floatNet;
    private MultiLayerNetwork qatNet;
    private Int8Model int8;
    private INDArray features;
    private float[] flat;
    private DataSet trainBatch;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        floatNet = Models.lenet(1, new Adam(1e-3));
        Nd4j.getRandom().setSeed(7);
        features = Nd4j.rand(new int[] {batch, 1, 28, 28});
        INDArray labels = Nd4j.zeros(batch, 10);
        for (int i = 0; i < batch; i++) {
            labels.putScalar(i, i % 10, 1);
        }
        trainBatch = new DataSet(features, labels);
        qatNet = Qat.prepare(floatNet, new QatConfig().observeIterations(0));
        Qat.calibrate(qatNet, new SingletonDataSetIterator(trainBatch), 1);
        int8 = Int8Exporter.export(qatNet, InputType.convolutional(28, 28, 1));
        flat = features.dup('c').data().asFloat();

        Path dir = Files.createTempDirectory("lenet-bench");
        Path floatFile = dir.resolve("lenet.zip");
        Path int8File = dir.resolve("lenet.q8");
        ModelSerializer.writeModel(floatNet, floatFile.toFile(), false);
        int8.save(int8File);
        long f = Files.size(floatFile);
        long q = Files.size(int8File);
        System.out.printf(
                "%nfile size: float (ModelSerializer, no updater) %d bytes, int8 %d bytes, ratio %.3f%n",
                f, q, (double) q / f);
    }

    @Benchmark
    public INDArray dl4jFloatOutput() {
        return floatNet.output(features);
    }

    @Benchmark
    public float[] int8Predict() {
        return int8.predictBatch(flat, batch);
    }

    @Benchmark
    public double floatTrainingStep() {
        floatNet.fit(trainBatch);
        return floatNet.score();
    }

    @Benchmark
    public double qatTrainingStep() {
        qatNet.fit(trainBatch);
        return qatNet.score();
    }
}
