package io.github.qat4j.layers;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A 2D or depthwise convolution without bias or activation, and its backward pass, on libnd4j's
 * {@code conv2d}/{@code depthwise_conv2d} ops with the arguments DL4J's own layers pass. A layer that
 * puts something between the convolution and its activation (a BatchNorm) cannot reuse DL4J's layer
 * implementation, which fuses the two in one backward pass.
 */
final class ConvOps {
    /** libnd4j's weight layout code for [out, in, kH, kW], DL4J's ConvolutionLayer layout. */
    private static final int OIHW = 1;

    private ConvOps() {}

    /** {@code conv(x, w)} in the layer's data format. */
    static INDArray forward(ConvolutionLayer conf, INDArray x, INDArray w) {
        long[] outShape = outputShape(conf, x);
        INDArray out = Nd4j.createUninitialized(x.dataType(), outShape, 'c');
        Nd4j.exec(DynamicCustomOp.builder(depthwise(conf) ? "depthwise_conv2d" : "conv2d")
                .addInputs(x, w)
                .addIntegerArguments(args(conf, x))
                .addOutputs(out)
                .callInplace(false)
                .build());
        return out;
    }

    /** {dL/dx, dL/dw} from {@code dL/dy}, for {@code y = conv(x, w)}. */
    static INDArray[] backward(ConvolutionLayer conf, INDArray x, INDArray w, INDArray gradOut) {
        INDArray gradIn = Nd4j.createUninitialized(x.dataType(), x.shape(), 'c');
        INDArray gradW = Nd4j.createUninitialized(w.dataType(), w.shape(), 'c');
        Nd4j.exec(DynamicCustomOp.builder(depthwise(conf) ? "depthwise_conv2d_bp" : "conv2d_bp")
                .addInputs(x, w, gradOut)
                .addIntegerArguments(args(conf, x))
                .addOutputs(gradIn, gradW)
                .callInplace(false)
                .build());
        return new INDArray[] {gradIn, gradW};
    }

    private static boolean depthwise(ConvolutionLayer conf) {
        return conf instanceof DepthwiseConvolution2D;
    }

    private static long[] outputShape(ConvolutionLayer conf, INDArray x) {
        CNN2DFormat format = conf.getCnn2dDataFormat();
        int[] hw = outputSize(conf, x);
        long channels =
                depthwise(conf) ? conf.getNIn() * ((DepthwiseConvolution2D) conf).getDepthMultiplier() : conf.getNOut();
        return format == CNN2DFormat.NCHW
                ? new long[] {x.size(0), channels, hw[0], hw[1]}
                : new long[] {x.size(0), hw[0], hw[1], channels};
    }

    private static int[] outputSize(ConvolutionLayer conf, INDArray x) {
        boolean same = conf.getConvolutionMode() == ConvolutionMode.Same;
        return ConvolutionUtils.getOutputSize(
                x,
                conf.getKernelSize(),
                conf.getStride(),
                same ? null : conf.getPadding(),
                conf.getConvolutionMode(),
                conf.getDilation(),
                conf.getCnn2dDataFormat());
    }

    /** As DL4J's DepthwiseConvolution2DLayer passes them, plus the weight layout for conv2d. */
    private static int[] args(ConvolutionLayer conf, INDArray x) {
        int[] k = conf.getKernelSize();
        int[] s = conf.getStride();
        int[] d = conf.getDilation();
        boolean nchw = conf.getCnn2dDataFormat() == CNN2DFormat.NCHW;
        boolean same = conf.getConvolutionMode() == ConvolutionMode.Same;
        int[] p = same
                ? ConvolutionUtils.getSameModeTopLeftPadding(
                        outputSize(conf, x),
                        new int[] {(int) x.size(nchw ? 2 : 1), (int) x.size(nchw ? 3 : 2)},
                        k,
                        s,
                        d)
                : conf.getPadding();
        int[] args = {k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], same ? 1 : 0, nchw ? 0 : 1};
        if (depthwise(conf)) {
            return args; // DL4J's depthwise layout [kH, kW, in, multiplier] is the op's default
        }
        int[] withLayout = java.util.Arrays.copyOf(args, args.length + 1);
        withLayout[args.length] = OIHW;
        return withLayout;
    }
}
