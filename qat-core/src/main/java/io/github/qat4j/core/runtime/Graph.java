package io.github.qat4j.core.runtime;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A validated model: the input tensor and how its floats are made from pixels, the ops in execution
 * order, and whether a softmax follows the last op. {@link #tensors()} holds tensor 0 (the input) and
 * one output per op.
 */
record Graph(
        TensorInfo input, InputPreprocessing preprocessing, List<Op> ops, boolean softmax, List<TensorInfo> tensors) {

    Graph(TensorInfo input, InputPreprocessing preprocessing, List<Op> ops, boolean softmax) {
        this(input, preprocessing, List.copyOf(ops), softmax, infer(input, preprocessing, ops));
    }

    private static List<TensorInfo> infer(TensorInfo input, InputPreprocessing preprocessing, List<Op> ops) {
        if (input.logits()) {
            throw new IllegalArgumentException("the model input needs a quantization, static or dynamic");
        }
        int channels = inputChannels(input);
        if (preprocessing.kind() == InputPreprocessing.Kind.STANDARDIZE && preprocessing.mean().length != channels) {
            throw new IllegalArgumentException("the input preprocessing has " + preprocessing.mean().length
                    + " channel(s), the input " + input + " has " + channels);
        }
        if (ops.isEmpty()) {
            throw new IllegalArgumentException("a model needs at least one op");
        }
        List<TensorInfo> tensors = new ArrayList<>();
        tensors.add(input);
        Set<String> names = new HashSet<>();
        for (int i = 0; i < ops.size(); i++) {
            checkName(i, ops.get(i).name());
            if (!names.add(ops.get(i).name())) {
                throw new IllegalArgumentException(
                        "op " + i + ": duplicate name '" + ops.get(i).name() + "'");
            }
            tensors.add(inferNext(tensors, ops.get(i), i, ops.size()));
        }
        Op last = ops.get(ops.size() - 1);
        if (tensors.get(ops.size()).dynamic() && !(last instanceof Op.DynamicDense)) {
            throw new IllegalArgumentException("op " + (ops.size() - 1) + " '" + last.name() + "': a dynamic tensor is "
                    + "the model output only from a dynamic dense op, whose float values it is");
        }
        return List.copyOf(tensors);
    }

    /** Checks op {@code index} of {@code count} against the tensors before it; the reader calls it per section. */
    static TensorInfo inferNext(List<TensorInfo> tensors, Op op, int index, int count) {
        try {
            TensorInfo out = op.infer(tensors);
            if (out.logits() && index != count - 1) {
                throw new IllegalArgumentException("only the last op may output float logits");
            }
            return out;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("op " + index + " '" + op.name() + "': " + e.getMessage(), e);
        }
    }

    /** The input's channels: {@code c} of {@code [c, h, w]}, 1 of {@code [n]}. */
    static int inputChannels(TensorInfo input) {
        return input.spatial() ? input.dim(0) : 1;
    }

    /** A name the file can hold as it is: valid UTF-16 (no lone surrogate) of at most 65535 UTF-8 bytes. */
    private static void checkName(int index, String name) {
        if (name == null
                || !StandardCharsets.UTF_8.newEncoder().canEncode(name)
                || name.getBytes(StandardCharsets.UTF_8).length > 0xFFFF) {
            throw new IllegalArgumentException(
                    "op " + index + ": a name must be a string of at most 65535 UTF-8 bytes");
        }
    }

    TensorInfo output() {
        return tensors.get(tensors.size() - 1);
    }
}
