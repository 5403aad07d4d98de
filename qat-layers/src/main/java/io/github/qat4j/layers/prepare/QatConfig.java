package io.github.qat4j.layers.prepare;

import io.github.qat4j.layers.BatchNormConfig;
import io.github.qat4j.layers.QuantizerConfig;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * What {@link Qat#prepare} makes of a float network: the default weight and activation quantizers
 * (int8 weights per channel, uint8 activations per tensor), per-layer overrides of bit width and
 * granularity, layers to leave in float, what to do with layers that cannot be quantized, and when
 * folded BatchNorms freeze their statistics.
 *
 * <pre>{@code
 * QatConfig config = new QatConfig()
 *         .weightBits(4)                 // W4A8
 *         .observeIterations(200)        // activation ranges from 200 batches, then learned
 *         .weightBits("dense", 8)        // but keep this layer at 8 bits
 *         .skip("output");               // and this one in float
 * }</pre>
 */
public final class QatConfig {
    private final QuantizerConfig weights = QuantizerConfig.weights(8);
    private final QuantizerConfig activations = QuantizerConfig.activations(8, 200);
    private final Map<String, Integer> weightBitsByLayer = new HashMap<>();
    private final Set<String> perTensorLayers = new HashSet<>();
    private final Set<String> skipped = new HashSet<>();
    private boolean keepUnsupportedInFloat;
    private IUpdater updater;
    private int batchNormFreezeEpoch = BatchNormConfig.DEFAULT_FREEZE_EPOCH;

    public QatConfig weightBits(int bits) {
        weights.setBits(bits);
        return this;
    }

    public QatConfig activationBits(int bits) {
        activations.setBits(bits);
        return this;
    }

    /** The weight bit width of one layer, by name. */
    public QatConfig weightBits(String layerName, int bits) {
        QuantizerConfig.weights(bits); // validates now, not at prepare time
        weightBitsByLayer.put(layerName, bits);
        return this;
    }

    /** One scale for the whole weight tensor of this layer instead of one per output channel. */
    public QatConfig perTensorWeights(String layerName) {
        perTensorLayers.add(layerName);
        return this;
    }

    /** Leave this layer in float (and put no quantizer after it). */
    public QatConfig skip(String layerName) {
        skipped.add(layerName);
        return this;
    }

    /** Leave layers that have parameters but no QAT version in float instead of failing. */
    public QatConfig keepUnsupportedInFloat(boolean keep) {
        this.keepUnsupportedInFloat = keep;
        return this;
    }

    /** Iterations for which activation ranges are observed before their scales are learned. */
    public QatConfig observeIterations(int iterations) {
        activations.setObserveIterations(iterations);
        return this;
    }

    /** Iteration from which every scale is frozen (negative: never). */
    public QatConfig freezeIteration(int iteration) {
        weights.setFreezeIteration(iteration);
        activations.setFreezeIteration(iteration);
        return this;
    }

    /**
     * The epoch from which folded BatchNorms train with their running statistics frozen (0: from the
     * start; negative: never); before it they normalise with batch statistics. See {@link BatchNormConfig}.
     */
    public QatConfig batchNormFreezeEpoch(int epoch) {
        this.batchNormFreezeEpoch = epoch;
        return this;
    }

    public QatConfig weightScaleInit(QuantizerConfig.ScaleInit init) {
        weights.setScaleInit(init);
        return this;
    }

    /** The updater of every learned scale. */
    public QatConfig scaleUpdater(IUpdater scaleUpdater) {
        weights.setScaleUpdater(scaleUpdater);
        activations.setScaleUpdater(scaleUpdater);
        return this;
    }

    /** The updater for fine-tuning the weights, replacing the float network's (often with a lower rate). */
    public QatConfig updater(IUpdater updater) {
        this.updater = updater;
        return this;
    }

    /** Builds every quantizer disabled: the prepared network then computes exactly the float one. */
    public QatConfig disabled() {
        weights.setEnabled(false);
        activations.setEnabled(false);
        return this;
    }

    QuantizerConfig weightsFor(String layerName) {
        QuantizerConfig q = weights.clone();
        Integer bits = weightBitsByLayer.get(layerName);
        if (bits != null) {
            q.setBits(bits);
        }
        if (perTensorLayers.contains(layerName)) {
            q.setPerChannel(false);
        }
        return q;
    }

    QuantizerConfig activations() {
        return activations.clone();
    }

    boolean isSkipped(String layerName) {
        return layerName != null && skipped.contains(layerName);
    }

    boolean keepsUnsupportedInFloat() {
        return keepUnsupportedInFloat;
    }

    IUpdater updater() {
        return updater;
    }

    int batchNormFreezeEpoch() {
        return batchNormFreezeEpoch;
    }
}
