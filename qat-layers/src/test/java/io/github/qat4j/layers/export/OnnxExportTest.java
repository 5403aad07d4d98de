package io.github.qat4j.layers.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.layers.FakeQuantLayer;
import io.github.qat4j.layers.QatWeightLayer;
import io.github.qat4j.layers.Tensors;
import io.github.qat4j.layers.TestNets;
import io.github.qat4j.layers.onnx.OnnxProto.ModelProto;
import io.github.qat4j.layers.onnx.OnnxProto.NodeProto;
import io.github.qat4j.layers.onnx.OnnxProto.TensorProto;
import io.github.qat4j.layers.prepare.Qat;
import io.github.qat4j.layers.prepare.QatConfig;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The ONNX exports against the networks they came from: the float export against DL4J's output, the
 * QDQ export's structure against the int8 model's quantization, and ONNX Runtime's integer execution
 * of it against qat4j's int8 runtime.
 */
class OnnxExportTest {
    private static final InputType MNIST = InputType.convolutionalFlat(28, 28, 1);
    private static final InputType RESIDUAL = InputType.convolutional(8, 8, 3);

    @Test
    void floatExportOfLenetMatchesDl4j() throws Exception {
        MultiLayerNetwork net = TestNets.lenet(28, 6, 16, 32, 1, DataType.FLOAT);
        INDArray x = TestNets.images(16, 1, 28, 2, DataType.FLOAT).reshape(16, 784);
        assertClose(net.output(x), ort(OnnxExporter.floatModel(net, MNIST), x), 1e-4);

        MultiLayerNetwork qat = calibrated(net, x);
        Qat.setFakeQuantEnabled(qat.getLayers(), false);
        assertClose(qat.output(x), ort(OnnxExporter.floatModel(qat, MNIST), x), 1e-4);
    }

    @Test
    void floatExportOfResidualGraphMatchesDl4j() throws Exception {
        ComputationGraph g = TestNets.residual(4, 3, DataType.FLOAT);
        INDArray x = TestNets.images(8, 3, 8, 4, DataType.FLOAT);
        assertClose(g.outputSingle(x), ort(OnnxExporter.floatModel(g, RESIDUAL), x), 1e-4);

        ComputationGraph qat = calibrated(g, x);
        Qat.setFakeQuantEnabled(qat.getLayers(), false);
        assertClose(qat.outputSingle(x), ort(OnnxExporter.floatModel(qat, RESIDUAL), x), 1e-4);
    }

    @Test
    void floatExportOfResidualGraphWithBatchNormMatchesDl4j() throws Exception {
        ComputationGraph g = TestNets.residual(4, 5, DataType.FLOAT, true);
        INDArray x = TestNets.images(8, 3, 8, 6, DataType.FLOAT);
        g.fit(new DataSet(x, TestNets.oneHot(8, 7, DataType.FLOAT))); // running statistics away from 0 and 1
        assertClose(g.outputSingle(x), ort(OnnxExporter.floatModel(g, RESIDUAL), x), 1e-4);

        ComputationGraph qat = calibrated(g, x);
        Qat.setFakeQuantEnabled(qat.getLayers(), false);
        assertClose(qat.outputSingle(x), ort(OnnxExporter.floatModel(qat, RESIDUAL), x), 1e-4);
    }

    @Test
    void qdqExportOfLenetCarriesTheInt8ModelsQuantization() {
        INDArray x = TestNets.images(16, 1, 28, 2, DataType.FLOAT).reshape(16, 784);
        MultiLayerNetwork qat = calibrated(TestNets.lenet(28, 6, 16, 32, 1, DataType.FLOAT), x);
        ModelProto model = OnnxExporter.qdq(qat, MNIST);
        assertEquals(OnnxExporter.OPSET, model.getOpsetImport(0).getVersion());
        Map<String, Long> ops = opCounts(model);
        assertEquals(2L, ops.get("Conv"), ops::toString);
        assertEquals(2L, ops.get("Gemm"), ops::toString);
        assertEquals(2L, ops.get("MaxPool"), ops::toString);
        assertEquals(1L, ops.get("Softmax"), ops::toString);
        assertEquals(1L, ops.get("Relu"), ops::toString);
        // Q: 4 quantizers, then one after each of reshape, 2 max pools and flatten.
        assertEquals(8L, ops.get("QuantizeLinear"), ops::toString);
        // DQ: one per quantized input read (8), weight (4) and bias (4).
        assertEquals(16L, ops.get("DequantizeLinear"), ops::toString);

        Map<String, TensorProto> init = model.getGraph().getInitializerList().stream()
                .collect(Collectors.toMap(TensorProto::getName, Function.identity()));
        Map<String, NodeProto> producer = model.getGraph().getNodeList().stream()
                .collect(Collectors.toMap(n -> n.getOutput(0), Function.identity()));
        for (NodeProto op : model.getGraph().getNodeList()) {
            if (op.getOpType().equals("Conv") || op.getOpType().equals("Gemm")) {
                for (String in : op.getInputList()) {
                    assertEquals("DequantizeLinear", producer.get(in).getOpType(), op.getName() + " reads " + in);
                }
                NodeProto w = producer.get(op.getInput(1));
                Layer layer = qat.getLayer(w.getInput(0).replace("_w_quantized", ""));
                long channels = ((QatWeightLayer) layer.conf().getLayer()).weightChannels();
                assertEquals(
                        TensorProto.DataType.INT8_VALUE, init.get(w.getInput(0)).getDataType());
                assertEquals(channels, init.get(w.getInput(0)).getDims(0));
                assertArrayEquals(
                        Tensors.toFloats(layer.getParam(QatWeightLayer.SCALE_KEY)), floats(init.get(w.getInput(1))));
                assertEquals(
                        TensorProto.DataType.INT8_VALUE, init.get(w.getInput(2)).getDataType());
                assertTrue(allZero(init.get(w.getInput(2))));
                assertEquals(0L, w.getAttribute(0).getI());
                assertEquals("axis", w.getAttribute(0).getName());
                NodeProto b = producer.get(op.getInput(2));
                assertEquals(
                        TensorProto.DataType.INT32_VALUE,
                        init.get(b.getInput(0)).getDataType());
                assertEquals(channels, init.get(b.getInput(1)).getDims(0));
            }
            if (op.getOpType().equals("QuantizeLinear")) {
                assertEquals(
                        TensorProto.DataType.UINT8_VALUE,
                        init.get(op.getInput(2)).getDataType(),
                        op.getName());
            }
        }
        for (Layer layer : qat.getLayers()) {
            if (layer.conf().getLayer() instanceof FakeQuantLayer) {
                String name = layer.conf().getLayer().getLayerName();
                NodeProto q = model.getGraph().getNodeList().stream()
                        .filter(n -> n.getName().equals(name + "_q"))
                        .findFirst()
                        .orElseThrow();
                assertEquals(layer.getParam(FakeQuantLayer.SCALE).getFloat(0), floats(init.get(q.getInput(1)))[0]);
                assertEquals(
                        (int) layer.getParam(FakeQuantLayer.ZERO_POINT).getDouble(0),
                        init.get(q.getInput(2)).getRawData().byteAt(0) & 0xFF);
            }
        }
    }

    @Test
    void onnxRuntimeRunsTheQdqLenetOnIntegerKernelsAsTheInt8RuntimeDoes(@TempDir Path dir) throws Exception {
        INDArray x = TestNets.images(64, 1, 28, 2, DataType.FLOAT).reshape(64, 784);
        MultiLayerNetwork qat = calibrated(TestNets.lenet(28, 6, 16, 32, 1, DataType.FLOAT), x);
        Int8Model int8 = Int8Exporter.export(qat, MNIST);
        Path optimized = dir.resolve("optimized.onnx");
        float[][] ort = ort(OnnxExporter.qdq(qat, MNIST), x, optimized);
        Map<String, Long> ops = opCounts(Ort.read(optimized));
        System.out.println("ONNX Runtime runs the QDQ LeNet as " + ops);
        assertFalse(ops.containsKey("Conv") || ops.containsKey("Gemm"), "float Conv/Gemm left: " + ops);
        assertEquals(2L, ops.get("QLinearConv"), ops::toString);
        assertEquals(2L, ops.get("QGemm"), ops::toString);
        compareWithInt8(int8, x, ort);
    }

    @Test
    void onnxRuntimeRunsTheQdqResidualGraphAsTheInt8RuntimeDoes(@TempDir Path dir) throws Exception {
        INDArray x = TestNets.images(64, 3, 8, 4, DataType.FLOAT);
        ComputationGraph qat = calibrated(TestNets.residual(4, 3, DataType.FLOAT), x);
        Path optimized = dir.resolve("optimized.onnx");
        float[][] ort = ort(OnnxExporter.qdq(qat, RESIDUAL), x, optimized);
        Map<String, Long> ops = opCounts(Ort.read(optimized));
        System.out.println("ONNX Runtime runs the QDQ residual graph as " + ops);
        assertFalse(
                ops.containsKey("Conv") || ops.containsKey("Gemm") || ops.containsKey("Add"), "float ops left: " + ops);
        assertEquals(5L, ops.get("QLinearConv"), ops::toString);
        assertEquals(2L, ops.get("QLinearAdd"), ops::toString);
        // The pool's mean has a quantizer of its own after the Flatten that collapses it, so ONNX Runtime
        // averages in float between the DequantizeLinear and that QuantizeLinear, as the int8 runtime's
        // requantizing pool computes exactly.
        assertEquals(1L, ops.get("GlobalAveragePool"), ops::toString);
        compareWithInt8(Int8Exporter.export(qat, RESIDUAL), x, ort);
    }

    @Test
    void onnxRuntimeRunsTheQdqResidualGraphWithFoldedBatchNormAsTheInt8RuntimeDoes() throws Exception {
        INDArray x = TestNets.images(64, 3, 8, 8, DataType.FLOAT);
        ComputationGraph g = TestNets.residual(4, 9, DataType.FLOAT, true);
        g.fit(new DataSet(x, TestNets.oneHot(64, 10, DataType.FLOAT)));
        ComputationGraph qat = calibrated(g, x);
        ModelProto model = OnnxExporter.qdq(qat, RESIDUAL);
        assertFalse(opCounts(model).containsKey("BatchNormalization"), opCounts(model)::toString);
        compareWithInt8(Int8Exporter.export(qat, RESIDUAL), x, ort(model, x));
    }

    @Test
    void depthwiseConvolutionAndAveragePoolingExportLikeDl4jAndTheInt8Runtime() throws Exception {
        MultiLayerNetwork net = depthwiseNet();
        INDArray x = TestNets.images(32, 3, 8, 5, DataType.FLOAT);
        assertClose(net.output(x), ort(OnnxExporter.floatModel(net, RESIDUAL), x), 1e-4);
        MultiLayerNetwork qat = calibrated(net, x);
        compareWithInt8(Int8Exporter.export(qat, RESIDUAL), x, ort(OnnxExporter.qdq(qat, RESIDUAL), x));
    }

    @Test
    void qdqExportOfAFloatNetworkSaysWhatIsMissing() {
        MultiLayerNetwork net = TestNets.lenet(28, 6, 16, 32, 1, DataType.FLOAT);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.qdq(net, MNIST));
        assertTrue(e.getMessage().contains("\"conv1\"") && e.getMessage().contains("not quantized"), e.getMessage());
    }

    private static void compareWithInt8(Int8Model int8, INDArray x, float[][] ort) {
        float[] flat = x.dup('c').data().asFloat();
        float[] expected = int8.predictBatch(flat, (int) x.size(0));
        int k = ort[0].length;
        double maxDiff = 0;
        for (int n = 0; n < ort.length; n++) {
            for (int j = 0; j < k; j++) {
                maxDiff = Math.max(maxDiff, Math.abs(ort[n][j] - expected[n * k + j]));
            }
        }
        System.out.printf("ONNX Runtime vs int8 runtime: max |diff| of probabilities %.3g%n", maxDiff);
        assertTrue(maxDiff < 0.02, "max |diff| " + maxDiff);
    }

    /** Same-padded conv, depthwise conv (multiplier 2), average pooling, dense, softmax; NCHW 3x8x8 input. */
    private static MultiLayerNetwork depthwiseNet() {
        var conf = new NeuralNetConfiguration.Builder()
                .seed(7)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER)
                .convolutionMode(ConvolutionMode.Same)
                .list()
                .layer(new ConvolutionLayer.Builder(3, 3)
                        .name("conv")
                        .nOut(4)
                        .activation(Activation.RELU)
                        .build())
                .layer(new DepthwiseConvolution2D.Builder(3, 3)
                        .name("depthwise")
                        .depthMultiplier(2)
                        .stride(2, 2)
                        .activation(Activation.RELU)
                        .build())
                .layer(new SubsamplingLayer.Builder(PoolingType.AVG)
                        .kernelSize(2, 2)
                        .stride(2, 2)
                        .build())
                .layer(new DenseLayer.Builder()
                        .name("dense")
                        .nOut(8)
                        .activation(Activation.RELU)
                        .build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .name("out")
                        .nOut(10)
                        .activation(Activation.SOFTMAX)
                        .build())
                .setInputType(RESIDUAL)
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static MultiLayerNetwork calibrated(MultiLayerNetwork net, INDArray x) {
        MultiLayerNetwork qat = Qat.prepare(net, new QatConfig());
        Qat.calibrate(
                qat,
                new SingletonDataSetIterator(new DataSet(x, TestNets.oneHot((int) x.size(0), 1, DataType.FLOAT))),
                1);
        return qat;
    }

    private static ComputationGraph calibrated(ComputationGraph net, INDArray x) {
        ComputationGraph qat = Qat.prepare(net, new QatConfig());
        Qat.calibrate(
                qat,
                new SingletonDataSetIterator(new DataSet(x, TestNets.oneHot((int) x.size(0), 1, DataType.FLOAT))),
                1);
        return qat;
    }

    private static float[][] ort(ModelProto model, INDArray x) throws Exception {
        return ort(model, x, null);
    }

    private static float[][] ort(ModelProto model, INDArray x, Path optimized) throws Exception {
        try (Ort session = new Ort(model, optimized)) {
            return session.run(x);
        }
    }

    private static void assertClose(INDArray expected, float[][] actual, double tolerance) {
        assertEquals(expected.size(0), actual.length);
        double maxDiff = 0;
        for (int n = 0; n < actual.length; n++) {
            for (int j = 0; j < actual[n].length; j++) {
                maxDiff = Math.max(maxDiff, Math.abs(expected.getDouble(n, j) - actual[n][j]));
            }
        }
        System.out.printf("ONNX Runtime float vs DL4J: max |diff| %.3g%n", maxDiff);
        assertTrue(maxDiff <= tolerance, "max |diff| " + maxDiff);
    }

    static Map<String, Long> opCounts(ModelProto model) {
        return model.getGraph().getNodeList().stream()
                .collect(Collectors.groupingBy(NodeProto::getOpType, TreeMap::new, Collectors.counting()));
    }

    private static float[] floats(TensorProto t) {
        ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / Float.BYTES];
        b.asFloatBuffer().get(f);
        return f;
    }

    private static boolean allZero(TensorProto t) {
        for (byte b : t.getRawData().toByteArray()) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
