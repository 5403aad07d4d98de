package io.github.qat4j.core.quant;

import org.apache.commons.math3.stat.StatUtils;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;

/**
 * Clips the range to percentiles of the observed values: {@code [P(100 - p), P(p)]} per channel,
 * e.g. {@code p = 99.99}, so that rare outliers do not stretch the scale for all other values.
 * Percentiles are commons-math3's {@link Percentile} (its default estimator) on a uniform
 * reservoir sample of at most {@code capacity} values per channel, so memory stays bounded; while
 * fewer values than that have been seen, the result is exactly the percentile of all of them.
 * With a sample, a percentile as extreme as 99.99 rests on only a few sampled values, so give it
 * a capacity well above {@code 100 / (100 - p)}.
 */
public final class PercentileObserver implements Observer {

    /** Default reservoir size per channel: 256 KiB of floats. */
    public static final int DEFAULT_CAPACITY = 1 << 16;

    private final double percentile;
    private final Reservoir reservoir;
    private int channels;

    /** With {@link #DEFAULT_CAPACITY} and a fixed seed. */
    public PercentileObserver(double percentile) {
        this(percentile, DEFAULT_CAPACITY, 0L);
    }

    /**
     * @param percentile upper percentile in (50, 100]; the lower one is {@code 100 - percentile}
     * @param capacity values kept per channel
     * @param seed of the reservoir's sampling
     */
    public PercentileObserver(double percentile, int capacity, long seed) {
        if (!(percentile > 50 && percentile <= 100)) {
            throw new IllegalArgumentException("percentile must be in (50, 100], got " + percentile);
        }
        this.percentile = percentile;
        this.reservoir = new Reservoir(capacity, seed);
    }

    public double percentile() {
        return percentile;
    }

    @Override
    public void observe(float[] x, int channels, int inner) {
        Ranges.checkChannels(this.channels, channels);
        Ranges.of(x, channels, inner); // for its checks: view, finiteness
        reservoir.add(x, channels, inner);
        this.channels = channels;
    }

    @Override
    public QuantParams compute(QuantSpec spec) {
        Ranges.checkObserved(hasObservations());
        if (!spec.perChannel()) {
            double[] all = reservoir.all();
            return spec.paramsFromRange(new float[] {lower(all)}, new float[] {upper(all)});
        }
        float[] min = new float[channels];
        float[] max = new float[channels];
        for (int c = 0; c < channels; c++) {
            double[] v = reservoir.channel(c);
            min[c] = lower(v);
            max[c] = upper(v);
        }
        return spec.paramsFromRange(min, max);
    }

    private float lower(double[] v) {
        // Percentile rejects 0, and P(0) is the minimum anyway.
        return (float) (percentile == 100 ? StatUtils.min(v) : new Percentile().evaluate(v, 100 - percentile));
    }

    private float upper(double[] v) {
        return (float) new Percentile().evaluate(v, percentile);
    }

    @Override
    public boolean hasObservations() {
        return channels > 0;
    }

    @Override
    public void reset() {
        reservoir.reset();
        channels = 0;
    }
}
