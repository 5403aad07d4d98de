package io.github.qat4j.core.quant;

/**
 * Running minimum and maximum over all observed batches, per channel; PyTorch's
 * {@code MinMaxObserver} and {@code PerChannelMinMaxObserver}. Nothing is clipped, so one outlier
 * widens the range for every value; see {@link PercentileObserver} and {@link MseObserver}.
 */
public final class MinMaxObserver implements Observer {

    private float[] min;
    private float[] max;

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
            min[c] = Math.min(min[c], batch[0][c]);
            max[c] = Math.max(max[c], batch[1][c]);
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

    /** Observed minimum per channel (a copy). */
    public float[] min() {
        Ranges.checkObserved(hasObservations());
        return min.clone();
    }

    /** Observed maximum per channel (a copy). */
    public float[] max() {
        Ranges.checkObserved(hasObservations());
        return max.clone();
    }
}
