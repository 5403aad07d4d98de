package io.github.qat4j.core.quant;

/**
 * Chooses the clipping range that minimises the mean squared quantization error, per channel.
 * Candidates are the observed range scaled by {@code k / steps} for {@code k = 1..steps}, i.e.
 * {@code [f * min, f * max]}; each is turned into parameters by the spec and scored by the mean
 * of {@code (x - fakeQuant(x))^2} over a uniform reservoir sample of the observed values (at most
 * {@code capacity} per channel). The unclipped range ({@code f = 1}) is a candidate and wins ties,
 * so the result is never worse than {@link MinMaxObserver}'s on the sample. PyTorch's
 * {@code HistogramObserver} minimises the same L2 error, searching over histogram bins instead of
 * a sample. Cost per channel: {@code steps * min(seen, capacity)} fake quantizations.
 */
public final class MseObserver implements Observer {

    /** Default reservoir size per channel. */
    public static final int DEFAULT_CAPACITY = 1 << 14;
    /** Default number of candidate ranges. */
    public static final int DEFAULT_STEPS = 100;

    private final int steps;
    private final Reservoir reservoir;
    private final MinMaxObserver range = new MinMaxObserver();

    /** With {@link #DEFAULT_STEPS}, {@link #DEFAULT_CAPACITY} and a fixed seed. */
    public MseObserver() {
        this(DEFAULT_STEPS, DEFAULT_CAPACITY, 0L);
    }

    /**
     * @param steps number of candidate fractions of the observed range
     * @param capacity values kept per channel to score the candidates
     * @param seed of the reservoir's sampling
     */
    public MseObserver(int steps, int capacity, long seed) {
        if (steps <= 0) {
            throw new IllegalArgumentException("steps must be positive, got " + steps);
        }
        this.steps = steps;
        this.reservoir = new Reservoir(capacity, seed);
    }

    @Override
    public void observe(float[] x, int channels, int inner) {
        range.observe(x, channels, inner);
        reservoir.add(x, channels, inner);
    }

    @Override
    public QuantParams compute(QuantSpec spec) {
        Ranges.checkObserved(hasObservations());
        float[] min = range.min();
        float[] max = range.max();
        if (!spec.perChannel()) {
            float lo = Float.POSITIVE_INFINITY;
            float hi = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < min.length; c++) {
                lo = Math.min(lo, min[c]);
                hi = Math.max(hi, max[c]);
            }
            float f = bestFraction(spec, lo, hi, reservoir.all());
            return spec.paramsFromRange(new float[] {f * lo}, new float[] {f * hi});
        }
        float[] bestMin = new float[min.length];
        float[] bestMax = new float[min.length];
        for (int c = 0; c < min.length; c++) {
            float f = bestFraction(spec, min[c], max[c], reservoir.channel(c));
            bestMin[c] = f * min[c];
            bestMax[c] = f * max[c];
        }
        return spec.paramsFromRange(bestMin, bestMax);
    }

    /** The fraction of {@code [lo, hi]} with the least mean squared error on the sample. */
    private float bestFraction(QuantSpec one, float lo, float hi, double[] sample) {
        // A one-channel view of the spec, so paramsFromRange takes a single range either way.
        QuantSpec spec = QuantSpec.of(one.bits(), one.signed(), one.symmetric(), -1);
        int qmin = spec.qmin();
        int qmax = spec.qmax();
        float best = 1f;
        double bestError = Double.POSITIVE_INFINITY;
        for (int k = steps; k >= 1; k--) {
            float f = (float) k / steps;
            QuantParams p = spec.paramsFromRange(new float[] {f * lo}, new float[] {f * hi});
            float s = p.scale()[0];
            int z = p.zeroPoint()[0];
            double error = 0;
            for (double v : sample) {
                float x = (float) v;
                double d = x - s * (FakeQuant.quantize(x, s, z, qmin, qmax) - z);
                error += d * d;
            }
            if (error < bestError) {
                bestError = error;
                best = f;
            }
        }
        return best;
    }

    @Override
    public boolean hasObservations() {
        return range.hasObservations();
    }

    @Override
    public void reset() {
        range.reset();
        reservoir.reset();
    }
}
