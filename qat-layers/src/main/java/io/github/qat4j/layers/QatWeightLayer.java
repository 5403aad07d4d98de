package io.github.qat4j.layers;

/**
 * A layer configuration whose weight {@code W} is fake-quantized, with one learned scale per output
 * channel (or one per tensor) held in the parameter {@link #SCALE_KEY}.
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

    default long weightScaleCount() {
        return getWeightQuant().isPerChannel() ? weightChannels() : 1;
    }
}
