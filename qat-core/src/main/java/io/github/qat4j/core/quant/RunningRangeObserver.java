package io.github.qat4j.core.quant;

/**
 * A per-channel range kept across batches: the first batch sets it, each later one is folded in by
 * {@link #update}. The parts {@link MinMaxObserver} and {@link EmaMinMaxObserver} share.
 */
abstract class RunningRangeObserver implements Observer {

    private float[] min;
    private float[] max;

    /** Folds one batch's minimum of a channel into the running one. */
    abstract float updateMin(float running, float batch);

    /** Folds one batch's maximum of a channel into the running one. */
    abstract float updateMax(float running, float batch);

    @Override
    public final void observe(float[] x, int channels, int inner) {
        Ranges.checkChannels(min == null ? 0 : min.length, channels);
        float[][] batch = Ranges.of(x, channels, inner);
        if (min == null) {
            min = batch[0];
            max = batch[1];
            return;
        }
        for (int c = 0; c < channels; c++) {
            min[c] = updateMin(min[c], batch[0][c]);
            max[c] = updateMax(max[c], batch[1][c]);
        }
    }

    @Override
    public final QuantParams compute(QuantSpec spec) {
        Ranges.checkObserved(hasObservations());
        return Ranges.params(spec, min, max);
    }

    @Override
    public final boolean hasObservations() {
        return min != null;
    }

    @Override
    public final void reset() {
        min = null;
        max = null;
    }

    /** The running minimum per channel (a copy). */
    public final float[] min() {
        Ranges.checkObserved(hasObservations());
        return min.clone();
    }

    /** The running maximum per channel (a copy). */
    public final float[] max() {
        Ranges.checkObserved(hasObservations());
        return max.clone();
    }
}
