package io.github.qat4j.layers.export;

import io.github.qat4j.core.quant.FakeQuant;
import io.github.qat4j.core.quant.QuantSpec;
import io.github.qat4j.core.runtime.Activation;
import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.core.runtime.Int8ModelBuilder;
import io.github.qat4j.layers.Tensors;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Dynamic quantization of a float network, PyTorch's {@code quantize_dynamic}: each dense layer's
 * weights become int8 per output channel (symmetric, scale {@code max|w| / 127}), its bias stays
 * float, and its input is quantized per image at run time from that image's range. Nothing is
 * calibrated and nothing is trained; the network is read, not changed.
 *
 * <pre>{@code
 * Int8Model model = DynamicExporter.export(floatMlp, InputType.convolutionalFlat(28, 28, 1));
 * model.save(Path.of("mlp-dynamic.q8"));
 * }</pre>
 *
 * <p>Takes a {@link MultiLayerNetwork} of {@link DenseLayer}s and a last {@link OutputLayer}
 * (identity, ReLU or ReLU6; softmax on the output layer only), optionally flattening an image
 * input first.
 */
public final class DynamicExporter {
    /** Run-time activation width: uint8, as PyTorch's dynamic linear. */
    static final int ACTIVATION_BITS = 8;

    static final int WEIGHT_BITS = 8;

    private DynamicExporter() {}

    /** @throws IllegalArgumentException naming the first layer the runtime's dynamic ops cannot take */
    public static Int8Model export(MultiLayerNetwork net, InputType input) {
        int[] shape = Int8Exporter.shape(input);
        Int8ModelBuilder b = Int8Model.dynamicBuilder(shape, ACTIVATION_BITS);
        if (shape.length == 3) {
            b.flatten("flatten");
        }
        QuantSpec spec = QuantSpec.weights(WEIGHT_BITS);
        Layer[] layers = net.getLayers();
        for (int i = 0; i < layers.length; i++) {
            org.deeplearning4j.nn.conf.layers.Layer conf = layers[i].conf().getLayer();
            String name = conf.getLayerName() != null ? conf.getLayerName() : "layer" + i;
            boolean last = i == layers.length - 1;
            if (!(conf instanceof DenseLayer || last && conf instanceof OutputLayer)) {
                throw unsupported(
                        i,
                        name,
                        conf.getClass().getSimpleName()
                                + " (dynamic quantization takes DenseLayers and a last OutputLayer)");
            }
            InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(i);
            if (pre != null && !(i == 0 && pre instanceof CnnToFeedForwardPreProcessor)) {
                throw unsupported(
                        i, name, "input preprocessor " + pre.getClass().getSimpleName());
            }
            FeedForwardLayer ff = (FeedForwardLayer) conf;
            int in = (int) ff.getNIn();
            int out = (int) ff.getNOut();
            // DL4J's W is [nIn, nOut]; the runtime's weights are [out][in].
            float[] wt = Tensors.toFloats(layers[i]
                    .getParam(DefaultParamInitializer.WEIGHT_KEY)
                    .transpose()
                    .dup('c'));
            float[] scale = FakeQuant.maxAbsScale(wt, out, in, spec.qmax());
            byte[] q = new byte[wt.length];
            for (int k = 0; k < wt.length; k++) {
                q[k] = (byte) FakeQuant.quantize(wt[k], scale[k / in], 0, spec.qmin(), spec.qmax());
            }
            INDArray b0 = layers[i].paramTable().get(DefaultParamInitializer.BIAS_KEY);
            float[] bias = b0 != null ? Tensors.toFloats(b0) : null;
            IActivation a = ff.getActivationFn();
            boolean softmax = last && a instanceof ActivationSoftmax;
            Activation activation = softmax ? Activation.NONE : Int8Exporter.runtimeActivation(a);
            if (activation == null) {
                throw unsupported(i, name, "activation " + a + " (identity, ReLU, ReLU6; softmax on the output layer)");
            }
            if (softmax) {
                b.softmax();
            }
            b.dynamicDense(name, q, out, WEIGHT_BITS, scale, bias, activation, ACTIVATION_BITS);
        }
        return b.build();
    }

    private static IllegalArgumentException unsupported(int i, String name, String what) {
        return new IllegalArgumentException("layer " + i + " '" + name + "': dynamic quantization cannot take " + what);
    }
}
