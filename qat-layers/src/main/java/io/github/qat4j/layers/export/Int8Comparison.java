package io.github.qat4j.layers.export;

import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.core.runtime.OpInfo;
import io.github.qat4j.core.runtime.TensorQuantization;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Whether an int8 model computes what the QAT network it was exported from computes, tensor by
 * tensor. A fake-quantized activation {@code a} of a tensor with scale {@code s} and zero point
 * {@code z} stands for the integer {@code round(a / s) + z}; for a batch of images each quantized op
 * output of the runtime is compared with it in steps of {@code s} (LSBs), two ways:
 * <ul>
 *   <li><b>through the model</b>: the runtime runs the whole image, so a difference carries into
 *       everything after it, as it does in deployment;</li>
 *   <li><b>op alone</b>: the op runs on the QAT network's own integers for its inputs, which shows
 *       whether the op computes what its fake-quantized twin does. 1 LSB here is a rounding decided
 *       the other way: the runtime rounds the exact product of integers and a 31-bit multiplier once,
 *       the QAT network rounds what it computed in float32.</li>
 * </ul>
 * Plus the share of images both give the same class.
 *
 * <pre>{@code
 * Int8Comparison c = Int8Comparison.of(qatGraph, Int8Model.load(file), testImages);
 * System.out.print(c);                        // one line per op
 * }</pre>
 *
 * @param images    how many images were compared
 * @param sameClass share of them whose top class is the same in both
 * @param tensors   one entry per op whose output is a fixed-scale quantized tensor, in execution order
 */
public record Int8Comparison(int images, double sameClass, List<Tensor> tensors) {
    /**
     * One op's output.
     *
     * @param op           the op's name in the int8 model
     * @param activation   the QAT network's node whose output it holds
     * @param values       elements compared (per image times images)
     * @param maxLsb       the largest difference through the model
     * @param exact        share of elements with no difference through the model
     * @param overOneLsb   share of elements more than 1 LSB off through the model
     * @param aloneMaxLsb  the largest difference of the op alone on the QAT network's inputs
     * @param aloneExact   share of elements with no difference, op alone
     */
    public record Tensor(
            String op,
            String activation,
            long values,
            int maxLsb,
            double exact,
            double overOneLsb,
            int aloneMaxLsb,
            double aloneExact) {}

    public Int8Comparison {
        tensors = List.copyOf(tensors);
    }

    /** @throws IllegalArgumentException when {@code model} is not what {@code qat} exports to */
    public static Int8Comparison of(ComputationGraph qat, Int8Model model, INDArray images) {
        NetworkNodes nodes = NetworkNodes.of(qat, inputType(model));
        return compare(nodes, model, images, qat.feedForward(images, false));
    }

    /** @throws IllegalArgumentException when {@code model} is not what {@code qat} exports to */
    public static Int8Comparison of(MultiLayerNetwork qat, Int8Model model, INDArray images) {
        NetworkNodes nodes = NetworkNodes.of(qat, inputType(model));
        List<INDArray> acts = qat.feedForward(images, false);
        Map<String, INDArray> byName = new HashMap<>();
        for (int i = 0; i < nodes.nodes().size(); i++) {
            byName.put(nodes.nodes().get(i).name(), acts.get(i + 1));
        }
        return compare(nodes, model, images, byName);
    }

    /** The largest difference through the model over every tensor, in LSBs. */
    public int maxLsb() {
        return tensors.stream().mapToInt(Tensor::maxLsb).max().orElse(0);
    }

    /** The largest difference of an op alone over every tensor, in LSBs. */
    public int aloneMaxLsb() {
        return tensors.stream().mapToInt(Tensor::aloneMaxLsb).max().orElse(0);
    }

    private static Int8Comparison compare(
            NetworkNodes nodes, Int8Model model, INDArray images, Map<String, INDArray> activations) {
        Int8Exporter.Exported expected = Int8Exporter.exportWithSources(nodes, inputType(model));
        List<OpInfo> ops = model.ops();
        requireSameOps(ops, expected.model().ops());
        List<String> sources = expected.sources();
        TensorQuantization[] quantization = new TensorQuantization[ops.size() + 1];
        quantization[0] = model.inputQuantization();
        for (int i = 0; i < ops.size(); i++) {
            quantization[i + 1] = ops.get(i).outputQuantization();
        }
        int n = Math.toIntExact(images.size(0));
        int[][] max = new int[ops.size()][2]; // through the model, alone
        long[][] counts = new long[ops.size()][4]; // values, exact, over one LSB, exact alone
        int same = 0;
        INDArray qatOut = activations.get(nodes.output());
        float[] flat = images.dup('c').data().asFloat();
        int size = flat.length / n;
        float[] probs = model.predictBatch(flat, n);
        int classes = probs.length / n;
        for (int img = 0; img < n; img++) {
            float[] image = Arrays.copyOfRange(flat, img * size, (img + 1) * size);
            int[][] runtime = model.quantizedOutputs(image);
            same += argmax(probs, img * classes, classes)
                            == qatOut.getRow(img).argMax().getInt(0)
                    ? 1
                    : 0;
            int[][] qat = new int[quantization.length][];
            for (int t = 0; t < qat.length; t++) {
                if (quantization[t] != null && sources.get(t) != null) {
                    qat[t] = codes(activations.get(sources.get(t)).slice(img), quantization[t]);
                }
            }
            for (int op = 0; op < ops.size(); op++) {
                int[] want = qat[op + 1];
                if (want == null) {
                    continue;
                }
                int[] alone = alone(model, op, ops.get(op), qat);
                for (int k = 0; k < want.length; k++) {
                    int d = Math.abs(runtime[op][k] - want[k]);
                    max[op][0] = Math.max(max[op][0], d);
                    counts[op][0]++;
                    counts[op][1] += d == 0 ? 1 : 0;
                    counts[op][2] += d > 1 ? 1 : 0;
                    int a = Math.abs(alone[k] - want[k]);
                    max[op][1] = Math.max(max[op][1], a);
                    counts[op][3] += a == 0 ? 1 : 0;
                }
            }
        }
        List<Tensor> tensors = new ArrayList<>();
        for (int op = 0; op < ops.size(); op++) {
            long v = counts[op][0];
            if (v > 0) {
                tensors.add(new Tensor(
                        ops.get(op).name(),
                        sources.get(op + 1),
                        v,
                        max[op][0],
                        (double) counts[op][1] / v,
                        (double) counts[op][2] / v,
                        max[op][1],
                        (double) counts[op][3] / v));
            }
        }
        return new Int8Comparison(n, (double) same / n, tensors);
    }

    /** The op run on the QAT network's integers for its inputs. */
    private static int[] alone(Int8Model model, int opIndex, OpInfo op, int[][] qat) {
        int[][] inputs = new int[op.inputTensors().size()][];
        for (int j = 0; j < inputs.length; j++) {
            inputs[j] = qat[op.inputTensors().get(j)];
            if (inputs[j] == null) {
                throw new IllegalStateException("op " + op.name() + " reads tensor "
                        + op.inputTensors().get(j) + ", for which the QAT network has no integers");
            }
        }
        return model.quantizedOutput(opIndex, inputs);
    }

    /** {@code clamp(round(a / s) + z)} of one image's activations, in NCHW order. */
    private static int[] codes(INDArray activation, TensorQuantization q) {
        float[] a = activation.dup('c').data().asFloat();
        int[] codes = new int[a.length];
        for (int k = 0; k < a.length; k++) {
            codes[k] = Math.max(0, Math.min(q.qmax(), Math.round(a[k] / q.scale()) + q.zeroPoint()));
        }
        return codes;
    }

    private static void requireSameOps(List<OpInfo> ops, List<OpInfo> expected) {
        for (int i = 0; i < Math.max(ops.size(), expected.size()); i++) {
            OpInfo a = i < ops.size() ? ops.get(i) : null;
            OpInfo b = i < expected.size() ? expected.get(i) : null;
            if (a == null
                    || b == null
                    || !a.name().equals(b.name())
                    || !a.outputShape().equals(b.outputShape())
                    || !Objects.equals(a.outputQuantization(), b.outputQuantization())) {
                throw new IllegalArgumentException("the int8 model was not exported from this state of the QAT "
                        + "network: op " + i + " is " + describe(a) + " in the model and " + describe(b)
                        + " in what the network exports to");
            }
        }
    }

    private static String describe(OpInfo op) {
        return op == null
                ? "missing"
                : "\"" + op.name() + "\" " + op.kind() + " " + op.outputShape() + " out " + op.outputQuantization();
    }

    private static InputType inputType(Int8Model model) {
        int[] s = model.inputShape();
        return s.length == 3 ? InputType.convolutional(s[1], s[2], s[0]) : InputType.feedForward(s[0]);
    }

    /** The index, from 0, of the largest of {@code v[offset .. offset + length)}. */
    private static int argmax(float[] v, int offset, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) {
            best = v[offset + i] > v[offset + best] ? i : best;
        }
        return best;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(String.format(
                Locale.ROOT,
                "int8 vs QAT on %d images: same class %.2f%%; largest difference %d LSB through the model, %d LSB "
                        + "op alone%n%-22s %-24s %14s %9s %9s %14s %9s%n",
                images,
                100 * sameClass,
                maxLsb(),
                aloneMaxLsb(),
                "op",
                "QAT activation",
                "max LSB model",
                "exact",
                "> 1 LSB",
                "max LSB alone",
                "exact"));
        for (Tensor t : tensors) {
            b.append(String.format(
                    Locale.ROOT,
                    "%-22s %-24s %14d %8.3f%% %8.4f%% %14d %8.3f%%%n",
                    t.op(),
                    t.activation(),
                    t.maxLsb(),
                    100 * t.exact(),
                    100 * t.overOneLsb(),
                    t.aloneMaxLsb(),
                    100 * t.aloneExact()));
        }
        return b.toString();
    }
}
