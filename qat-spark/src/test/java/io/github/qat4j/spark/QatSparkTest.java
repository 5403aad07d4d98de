package io.github.qat4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.layers.FakeQuantLayer;
import io.github.qat4j.layers.QatWeightLayer;
import io.github.qat4j.layers.export.Int8Exporter;
import io.github.qat4j.layers.prepare.Qat;
import io.github.qat4j.layers.prepare.QatConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.NeuralNetwork;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * QAT fine-tuning with DL4J's parameter averaging on a {@code local[2]} Spark context, on synthetic
 * 12x12 images (class c: a bright square at one of ten places, plus noise): the observer state comes
 * back exactly as the driver calibrated it, the scales are learned, and the driver's network exports an
 * int8 model that predicts the class its own fake-quant forward predicts.
 */
class QatSparkTest {
    private static final int SIZE = 12;
    private static final int BATCH = 16;
    private static final InputType INPUT = InputType.convolutional(SIZE, SIZE, 1);
    /** 32 batches, 2 workers, averaging every 2 batches: 8 rounds, each advancing the driver's count by 2. */
    private static final String ROUNDS = "iteration count after 8 averaging rounds of 2 iterations per worker";

    private static JavaSparkContext sc;

    @BeforeAll
    static void startSpark() {
        sc = new JavaSparkContext(
                new SparkConf().setMaster("local[2]").setAppName("QatSparkTest").set("spark.ui.enabled", "false"));
    }

    @AfterAll
    static void stopSpark() {
        sc.stop();
    }

    @Test
    void multiLayerNetworkTrainsOnSparkAndExportsAnAgreeingInt8Model() {
        MultiLayerNetwork qat = Qat.prepare(trainedFloat(lenet()), new QatConfig().updater(new Adam(1e-3)));
        QatSpark.observeOnDriver(qat, new ListDataSetIterator<>(batches(5, 2)), 5);
        fitOnSparkAndCheck(
                qat.getLayers(),
                () -> QatSpark.multiLayer(sc, qat, QatSpark.parameterAveraging(BATCH, 2))
                        .fit(rdd(batches(32, 3))),
                qat::getIterationCount,
                () -> Int8Exporter.export(qat, INPUT),
                x -> qat.output(x, false));
    }

    @Test
    void computationGraphTrainsOnSparkAndExportsAnAgreeingInt8Model() {
        ComputationGraph qat = Qat.prepare(trainedFloat(residual()), new QatConfig().updater(new Adam(1e-3)));
        QatSpark.observeOnDriver(qat, new ListDataSetIterator<>(batches(5, 2)), 5);
        fitOnSparkAndCheck(
                qat.getLayers(),
                () -> QatSpark.graph(sc, qat, QatSpark.parameterAveraging(BATCH, 2))
                        .fit(rdd(batches(32, 3))),
                qat::getIterationCount,
                () -> Int8Exporter.export(qat, INPUT),
                x -> qat.outputSingle(false, x));
    }

    @Test
    void refusesQuantizersThatWouldObserveOnTheWorkers() {
        MultiLayerNetwork observing = Qat.prepare(lenet(), new QatConfig().observeIterations(50));
        Qat.calibrate(observing, new ListDataSetIterator<>(batches(2, 5)), 2);
        IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> QatSpark.multiLayer(sc, observing, QatSpark.parameterAveraging(BATCH, 2)));
        assertTrue(e.getMessage().contains("\"input_quant\" is in its observe stage at iteration 0"), e.getMessage());

        MultiLayerNetwork uncalibrated = Qat.prepare(lenet(), new QatConfig().observeIterations(0));
        e = assertThrows(
                IllegalStateException.class,
                () -> QatSpark.multiLayer(sc, uncalibrated, QatSpark.parameterAveraging(BATCH, 2)));
        assertTrue(e.getMessage().contains("\"input_quant\" has never observed a batch"), e.getMessage());
    }

    /**
     * Runs {@code sparkFit} (one epoch of 32 batches) on a calibrated QAT network, then checks the merged state
     * and the int8 export against the network's own fake-quant forward on 2,000 new images.
     */
    private static void fitOnSparkAndCheck(
            Layer[] layers,
            Runnable sparkFit,
            IntSupplier iterationCount,
            Supplier<Int8Model> export,
            Function<INDArray, INDArray> fakeQuant) {
        List<float[]> observerBefore = observerState(layers);
        List<float[]> scalesBefore = scales(layers);
        sparkFit.run();
        assertEquals(16, iterationCount.getAsInt(), ROUNDS);
        assertStateMerged(layers, observerBefore, scalesBefore);
        assertAgrees(export.get(), DataSet.merge(batches(125, 4)), fakeQuant);
    }

    /**
     * Observer state equal to the driver's calibration to the bit (every worker returned the same
     * values), scales moved by learning, and every scale still positive and finite.
     */
    private static void assertStateMerged(Layer[] layers, List<float[]> observerBefore, List<float[]> scalesBefore) {
        List<float[]> observerAfter = observerState(layers);
        for (int i = 0; i < observerBefore.size(); i++) {
            assertArrayEquals(observerBefore.get(i), observerAfter.get(i), 0f, "observer state of quantizer " + i);
        }
        List<float[]> scalesAfter = scales(layers);
        int moved = 0;
        for (int i = 0; i < scalesBefore.size(); i++) {
            for (int c = 0; c < scalesAfter.get(i).length; c++) {
                float s = scalesAfter.get(i)[c];
                assertTrue(s > 0 && Float.isFinite(s), "scale " + s);
                moved += s != scalesBefore.get(i)[c] ? 1 : 0;
            }
        }
        assertNotEquals(0, moved, "no scale was learned on the workers");
    }

    private static void assertAgrees(Int8Model model, DataSet test, Function<INDArray, INDArray> fakeQuant) {
        INDArray x = test.getFeatures();
        INDArray expected = Nd4j.argMax(fakeQuant.apply(x), 1);
        int n = (int) x.size(0);
        int same = 0;
        int correct = 0;
        for (int i = 0; i < n; i++) {
            float[] probs = model.predict(x.slice(i).dup('c').data().asFloat());
            int cls = 0;
            for (int k = 1; k < probs.length; k++) {
                cls = probs[k] > probs[cls] ? k : cls;
            }
            same += cls == expected.getInt(i) ? 1 : 0;
            correct += cls == test.getLabels().getRow(i).argMax().getInt(0) ? 1 : 0;
        }
        assertTrue(correct > 0.9 * n, "int8 accuracy " + (double) correct / n + ": the network learned nothing");
        System.out.printf(
                "int8 accuracy %.4f, same class as the fake-quant forward on %d of %d images%n",
                (double) correct / n, same, n);
        assertTrue(same >= 0.999 * n, "int8 agrees with the fake-quant forward on " + same + " of " + n + " images");
    }

    /** Per activation quantizer: zero point, running min and max, observed flag. */
    private static List<float[]> observerState(Layer[] layers) {
        List<float[]> out = new ArrayList<>();
        for (Layer l : layers) {
            if (l.conf().getLayer() instanceof FakeQuantLayer) {
                out.add(new float[] {
                    l.getParam(FakeQuantLayer.ZERO_POINT).getFloat(0),
                    l.getParam(FakeQuantLayer.RUNNING_MIN).getFloat(0),
                    l.getParam(FakeQuantLayer.RUNNING_MAX).getFloat(0),
                    l.getParam(FakeQuantLayer.OBSERVED).getFloat(0)
                });
            }
        }
        return out;
    }

    /** Every activation scale and every per-channel weight scale. */
    private static List<float[]> scales(Layer[] layers) {
        List<float[]> out = new ArrayList<>();
        for (Layer l : layers) {
            Object conf = l.conf().getLayer();
            if (conf instanceof FakeQuantLayer) {
                out.add(l.getParam(FakeQuantLayer.SCALE).toFloatVector());
            } else if (conf instanceof QatWeightLayer) {
                out.add(l.getParam(QatWeightLayer.SCALE_KEY).toFloatVector());
            }
        }
        return out;
    }

    private static JavaRDD<DataSet> rdd(List<DataSet> batches) {
        return sc.parallelize(batches, 2);
    }

    private static <N extends NeuralNetwork> N trainedFloat(N net) {
        for (DataSet b : batches(40, 1)) {
            net.fit(b);
        }
        return net;
    }

    /** {@code count} batches of {@link #BATCH} images: class c is a 3x3 square at one of ten places, noise 0.2. */
    private static List<DataSet> batches(int count, long seed) {
        Random random = new Random(seed);
        List<DataSet> out = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            float[] x = new float[BATCH * SIZE * SIZE];
            float[] y = new float[BATCH * 10];
            for (int n = 0; n < BATCH; n++) {
                int c = random.nextInt(10);
                y[n * 10 + c] = 1;
                int top = 1 + 5 * (c / 5);
                int left = 1 + 2 * (c % 5);
                for (int i = 0; i < SIZE * SIZE; i++) {
                    int r = i / SIZE;
                    int col = i % SIZE;
                    boolean on = r >= top && r < top + 3 && col >= left && col < left + 3;
                    x[n * SIZE * SIZE + i] = (on ? 1f : 0f) + 0.2f * (float) random.nextGaussian();
                }
            }
            out.add(new DataSet(
                    Nd4j.create(x, new long[] {BATCH, 1, SIZE, SIZE}), Nd4j.create(y, new long[] {BATCH, 10})));
        }
        return out;
    }

    private static MultiLayerNetwork lenet() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(7)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER)
                .updater(new Adam(3e-3))
                .list()
                .layer(new ConvolutionLayer.Builder(3, 3)
                        .name("conv1")
                        .nOut(6)
                        .activation(Activation.RELU)
                        .build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX)
                        .kernelSize(2, 2)
                        .stride(2, 2)
                        .build())
                .layer(new DenseLayer.Builder()
                        .name("dense")
                        .nOut(24)
                        .activation(Activation.RELU)
                        .build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .name("output")
                        .nOut(10)
                        .activation(Activation.SOFTMAX)
                        .build())
                .setInputType(INPUT)
                .build());
        net.init();
        return net;
    }

    /** conv, one residual block (conv, conv, add, relu), a whole-image conv (so the place survives the pool), softmax. */
    private static ComputationGraph residual() {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .seed(7)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER)
                .updater(new Adam(3e-3))
                .convolutionMode(ConvolutionMode.Same)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(INPUT)
                .addLayer(
                        "stem",
                        new ConvolutionLayer.Builder(3, 3)
                                .nOut(8)
                                .activation(Activation.RELU)
                                .build(),
                        "in")
                .addLayer(
                        "a",
                        new ConvolutionLayer.Builder(3, 3)
                                .nOut(8)
                                .activation(Activation.RELU)
                                .build(),
                        "stem")
                .addLayer(
                        "b",
                        new ConvolutionLayer.Builder(3, 3)
                                .nOut(8)
                                .activation(Activation.IDENTITY)
                                .build(),
                        "a")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "b", "stem")
                .addLayer("relu", new ActivationLayer(Activation.RELU), "add")
                .addLayer(
                        "head",
                        new ConvolutionLayer.Builder(SIZE, SIZE)
                                .convolutionMode(ConvolutionMode.Truncate)
                                .nOut(16)
                                .activation(Activation.RELU)
                                .build(),
                        "relu")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "head")
                .addLayer(
                        "out",
                        new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                                .nOut(10)
                                .activation(Activation.SOFTMAX)
                                .build(),
                        "pool")
                .setOutputs("out")
                .build());
        g.init();
        return g;
    }
}
