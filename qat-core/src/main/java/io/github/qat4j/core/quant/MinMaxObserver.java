package io.github.qat4j.core.quant;

/**
 * Running minimum and maximum over all observed batches, per channel; PyTorch's
 * {@code MinMaxObserver} and {@code PerChannelMinMaxObserver}. Nothing is clipped, so one outlier
 * widens the range for every value; see {@link PercentileObserver} and {@link MseObserver}.
 */
public final class MinMaxObserver extends RunningRangeObserver {

    @Override
    float updateMin(float running, float batch) {
        return Math.min(running, batch);
    }

    @Override
    float updateMax(float running, float batch) {
        return Math.max(running, batch);
    }
}
