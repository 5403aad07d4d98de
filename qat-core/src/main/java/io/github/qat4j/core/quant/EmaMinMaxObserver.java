package io.github.qat4j.core.quant;

/**
 * Exponential moving average of each batch's minimum and maximum, per channel; PyTorch's
 * {@code MovingAverageMinMaxObserver} (and its per-channel variant). The first batch sets the
 * range, each later one moves it by {@link #ema}: {@code running + c * (batch - running)}. Used to
 * initialise activation scales over a few hundred batches before LSQ learns them (DESIGN.md), and
 * by the training layers to update their stored min/max with the same recurrence.
 */
public final class EmaMinMaxObserver implements Observer {

    /** PyTorch's default {@code averaging_constant}. */
    public static final float DEFAULT_AVERAGING_CONSTANT = 0.01f;

    private final float averagingConstant;
    private float[] min;
    private float[] max;

    /** With {@link #DEFAULT_AVERAGING_CONSTANT}. */
    public EmaMinMaxObserver() {
        this(DEFAULT_AVERAGING_CONSTANT);
    }

    /** @param averagingConstant weight of the new batch, in (0, 1]; 1 keeps only the last batch */
    public EmaMinMaxObserver(float averagingConstant) {
        if (!(averagingConstant > 0f && averagingConstant <= 1f)) {
            throw new IllegalArgumentException("averaging constant must be in (0, 1], got " + averagingConstant);
        }
        this.averagingConstant = averagingConstant;
    }

    /** One step of the moving average: {@code running + c * (batch - running)}, in float32 as PyTorch. */
    public static float ema(float running, float batch, float c) {
        return running + c * (batch - running);
    }

    public float averagingConstant() {
        return averagingConstant;
    }

    @Override
    public void observe(float[] x, int channels, int inner) {
        Ranges.checkChannels(min == null ? 0 : min.length, channels);
        float[][] batch = Ranges.of(x, channels, inner);
        if (min == null) {
            min = batch[0];
            max = batch[1];
            return;
        }
        for (int c = 0; c < channels; c++) {
            min[c] = ema(min[c], batch[0][c], averagingConstant);
            max[c] = ema(max[c], batch[1][c], averagingConstant);
        }
    }

    @Override
    public QuantParams compute(QuantSpec spec) {
        Ranges.checkObserved(hasObservations());
        return Ranges.params(spec, min, max);
    }

    @Override
    public boolean hasObservations() {
        return min != null;
    }

    @Override
    public void reset() {
        min = null;
        max = null;
    }

    /** Running minimum per channel (a copy). */
    public float[] min() {
        Ranges.checkObserved(hasObservations());
        return min.clone();
    }

    /** Running maximum per channel (a copy). */
    public float[] max() {
        Ranges.checkObserved(hasObservations());
        return max.clone();
    }
}
