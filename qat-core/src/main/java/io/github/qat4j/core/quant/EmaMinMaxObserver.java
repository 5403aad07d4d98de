package io.github.qat4j.core.quant;

/**
 * Exponential moving average of each batch's minimum and maximum, per channel; PyTorch's
 * {@code MovingAverageMinMaxObserver} (and its per-channel variant). The first batch sets the
 * range, each later one moves it by {@link #ema}: {@code running + c * (batch - running)}. Used to
 * initialise activation scales over a few hundred batches before LSQ learns them (DESIGN.md), and
 * by the training layers to update their stored min/max with the same recurrence.
 */
public final class EmaMinMaxObserver extends RunningRangeObserver {

    /** PyTorch's default {@code averaging_constant}. */
    public static final float DEFAULT_AVERAGING_CONSTANT = 0.01f;

    private final float averagingConstant;

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
    float updateMin(float running, float batch) {
        return ema(running, batch, averagingConstant);
    }

    @Override
    float updateMax(float running, float batch) {
        return ema(running, batch, averagingConstant);
    }
}
