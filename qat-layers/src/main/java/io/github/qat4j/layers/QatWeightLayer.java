package io.github.qat4j.layers;

import java.util.List;

/**
 * A layer configuration whose weight {@code W} is fake-quantized, with one learned scale per output
 * channel (or one per tensor) held in the parameter {@link #SCALE_KEY}. A layer with more than one
 * weight tensor (a separable convolution) lists them all in {@link #quantizedWeights()}; the methods
 * below describe {@code W}.
 */
public interface QatWeightLayer {
    /** Parameter key of the weight scales. */
    String SCALE_KEY = "Ws";

    QuantizerConfig getWeightQuant();

    void setWeightQuant(QuantizerConfig weightQuant);

    /**
     * The axes of {@code W} (first and last, inclusive, contiguous in row-major order) that index
     * the output channel: per-channel scales are shared over every other axis.
     */
    int[] weightChannelAxes();

    /** Number of output channels, i.e. the number of scales when quantizing per channel. */
    long weightChannels();

    /** Every fake-quantized weight tensor of the layer, {@code W} first; all share {@link #getWeightQuant()}. */
    default List<QuantizedWeight> quantizedWeights() {
        int[] axes = weightChannelAxes();
        return List.of(new QuantizedWeight("W", SCALE_KEY, getWeightQuant(), axes[0], axes[1], weightChannels()));
    }

    /**
     * Whether {@code param} holds the scales of one of {@link #quantizedWeights()}: those learn with
     * the quantizer's updater.
     */
    default boolean isScale(String param) {
        return quantizedWeights().stream().anyMatch(t -> t.scaleKey().equals(param));
    }

    /**
     * One fake-quantized weight tensor: its parameter, the parameter of its scales, its quantizer, and
     * the axes (first and last, inclusive, contiguous in row-major order) that index its output channel.
     */
    record QuantizedWeight(
            String key,
            String scaleKey,
            QuantizerConfig quant,
            int firstChannelAxis,
            int lastChannelAxis,
            long channels) {
        public long scaleCount() {
            return quant.isPerChannel() ? channels : 1;
        }
    }
}
