package io.github.qat4j.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.core.runtime.OpInfo;
import io.github.qat4j.layers.export.DynamicExporter;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** A float MLP exported with dynamic quantization against the float network itself. */
class DynamicExportTest {

    private static MultiLayerNetwork mlp(Activation hidden) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(16)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new DenseLayer.Builder()
                        .name("fc1")
                        .nOut(32)
                        .activation(hidden)
                        .build())
                .layer(new DenseLayer.Builder()
                        .name("fc2")
                        .nOut(24)
                        .activation(Activation.RELU6)
                        .build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.NEGATIVELOGLIKELIHOOD)
                        .name("out")
                        .nOut(10)
                        .activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.convolutionalFlat(8, 8, 1))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    @Test
    void followsTheFloatNetworkWithoutCalibration() {
        MultiLayerNetwork net = mlp(Activation.RELU);
        Int8Model model = DynamicExporter.export(net, InputType.convolutionalFlat(8, 8, 1));
        assertEquals(OpInfo.Kind.RESHAPE, model.ops().get(0).kind());
        for (int i = 1; i <= 3; i++) {
            OpInfo op = model.ops().get(i);
            assertEquals(OpInfo.Kind.DYNAMIC_DENSE, op.kind(), op.name());
            assertEquals(8, op.weights().bits());
        }
        assertTrue(model.softmax());
        INDArray x =
                TestNets.images(64, 1, 8, 5, DataType.FLOAT).reshape(64, 64).muli(4);
        float[][] expected = net.output(x).toFloatMatrix();
        float[][] got = model.predict(x.toFloatMatrix());
        int agree = 0;
        for (int b = 0; b < 64; b++) {
            for (int c = 0; c < 10; c++) {
                assertEquals(expected[b][c], got[b][c], 0.02, "image " + b + " class " + c);
            }
            agree += argMax(expected[b]) == argMax(got[b]) ? 1 : 0;
        }
        assertTrue(agree >= 62, agree + " of 64 top-1 agree");
    }

    @Test
    void anUnsupportedLayerIsNamed() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> DynamicExporter.export(mlp(Activation.TANH), InputType.convolutionalFlat(8, 8, 1)));
        assertTrue(e.getMessage().contains("layer 0 'fc1'") && e.getMessage().contains("tanh"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> DynamicExporter.export(
                        TestNets.lenet(28, 2, 2, 8, 1, DataType.FLOAT), InputType.convolutionalFlat(28, 28, 1)));
        assertTrue(e.getMessage().contains("'conv1'") && e.getMessage().contains("ConvolutionLayer"), e.getMessage());
    }

    private static int argMax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
