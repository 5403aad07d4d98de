package io.github.qat4j.core.quant;

import java.util.Arrays;

/** Per-channel min/max bookkeeping shared by the observers. */
final class Ranges {

    private Ranges() {}

    /** {@code {min, max}} of each channel of one batch, validating the view and the values. */
    static float[][] of(float[] x, int channels, int inner) {
        FakeQuant.checkShape(x.length, channels, inner);
        if (x.length == 0) {
            throw new IllegalArgumentException("empty batch");
        }
        float[] min = new float[channels];
        float[] max = new float[channels];
        Arrays.fill(min, Float.POSITIVE_INFINITY);
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        int i = 0;
        while (i < x.length) {
            for (int c = 0; c < channels; c++) {
                float lo = min[c];
                float hi = max[c];
                for (int end = i + inner; i < end; i++) {
                    // Math.min/max propagate NaN, so one check per channel below catches it.
                    lo = Math.min(lo, x[i]);
                    hi = Math.max(hi, x[i]);
                }
                min[c] = lo;
                max[c] = hi;
            }
        }
        for (int c = 0; c < channels; c++) {
            if (!Float.isFinite(min[c]) || !Float.isFinite(max[c])) {
                throw new IllegalArgumentException("observed a NaN or infinite value in channel " + c);
            }
        }
        return new float[][] {min, max};
    }

    /** Rejects a batch whose channel count differs from the earlier ones ({@code expected > 0}). */
    static void checkChannels(int expected, int channels) {
        if (expected > 0 && expected != channels) {
            throw new IllegalArgumentException("observed " + expected + " channels before, now " + channels);
        }
    }

    /** Parameters for the spec; a per-tensor spec over per-channel statistics takes their union. */
    static QuantParams params(QuantSpec spec, float[] min, float[] max) {
        if (spec.perChannel() || min.length == 1) {
            return spec.paramsFromRange(min, max);
        }
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < min.length; c++) {
            lo = Math.min(lo, min[c]);
            hi = Math.max(hi, max[c]);
        }
        return spec.paramsFromRange(new float[] {lo}, new float[] {hi});
    }

    static void checkObserved(boolean observed) {
        if (!observed) {
            throw new IllegalStateException("nothing observed yet");
        }
    }
}
