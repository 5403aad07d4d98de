package io.github.qat4j.core.quant;

/**
 * Collects statistics of a tensor over calibration batches, then turns them into a scale and zero
 * point for a {@link QuantSpec}; the role of PyTorch's {@code torch.ao.quantization.observer}
 * classes.
 *
 * <p>Tensors use {@link FakeQuant}'s {@code [outer][channels][inner]} view. Observing with
 * {@code channels > 1} keeps one statistic per channel; {@link #compute} with a per-tensor spec
 * then reduces them to one range, and with a per-channel spec returns one entry per channel.
 * Implementations are not thread-safe.
 *
 * <pre>{@code
 * Observer obs = new EmaMinMaxObserver();
 * for (float[] batch : batches) obs.observe(batch, 1, batch.length);
 * QuantParams p = obs.compute(QuantSpec.activations(8));
 * }</pre>
 */
public interface Observer {

    /**
     * Adds one batch.
     *
     * @throws IllegalArgumentException if the view does not fit {@code x}, the channel count differs
     *     from earlier batches, or {@code x} holds NaN or infinity
     */
    void observe(float[] x, int channels, int inner);

    /**
     * Scale and zero point from what has been observed so far.
     *
     * @throws IllegalStateException if nothing has been observed
     */
    QuantParams compute(QuantSpec spec);

    /** Whether at least one batch has been observed. */
    boolean hasObservations();

    /** Forgets everything observed. */
    void reset();
}
