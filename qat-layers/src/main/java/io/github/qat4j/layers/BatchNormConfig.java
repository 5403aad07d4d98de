package io.github.qat4j.layers;

import java.io.Serializable;
import java.util.Objects;

/**
 * The BatchNorm hyper-parameters of a convolution that folds one ({@link QatConvBatchNorm2D},
 * {@link QatDepthwiseConvBatchNorm2D}), copied from DL4J's {@code BatchNormalization} by
 * {@code Qat.prepare}, and the epoch from which its statistics are frozen.
 *
 * <p>Before {@link #getFreezeEpoch() the freeze epoch}, training normalises with the batch
 * statistics and updates the running ones (PyTorch's {@code _forward_approximate}); from it on,
 * training uses the running statistics folded into the weights and bias, exactly as inference and the
 * exported int8 model do. The default, {@value #DEFAULT_FREEZE_EPOCH}, lets the running statistics
 * follow the quantized weights for one epoch of fine-tuning (PyTorch's QAT tutorial freezes after a
 * few epochs of a longer schedule); 0 freezes them from the start, a negative value never.
 *
 * <p>A plain bean so that DL4J's JSON serialization of layer configurations carries it.
 */
public final class BatchNormConfig implements Serializable, Cloneable {
    public static final int DEFAULT_FREEZE_EPOCH = 1;

    private double eps = 1e-5;
    private double decay = 0.9;
    private int freezeEpoch = DEFAULT_FREEZE_EPOCH;

    public BatchNormConfig() {}

    public BatchNormConfig(double eps, double decay, int freezeEpoch) {
        setEps(eps);
        setDecay(decay);
        setFreezeEpoch(freezeEpoch);
    }

    /** Whether training at this epoch uses the running statistics (frozen) rather than the batch's. */
    public boolean isFrozen(int epoch) {
        return freezeEpoch >= 0 && epoch >= freezeEpoch;
    }

    /** Added to the variance before its square root, as in DL4J's BatchNormalization. */
    public double getEps() {
        return eps;
    }

    public void setEps(double eps) {
        if (!(eps > 0)) {
            throw new IllegalArgumentException("BatchNorm eps must be > 0, got " + eps);
        }
        this.eps = eps;
    }

    /** {@code running = decay * running + (1 - decay) * batch}, as in DL4J's BatchNormalization. */
    public double getDecay() {
        return decay;
    }

    public void setDecay(double decay) {
        if (!(decay >= 0 && decay <= 1)) {
            throw new IllegalArgumentException("BatchNorm decay must be in [0, 1], got " + decay);
        }
        this.decay = decay;
    }

    public int getFreezeEpoch() {
        return freezeEpoch;
    }

    /** The first epoch that trains with the running statistics frozen; negative for never. */
    public void setFreezeEpoch(int freezeEpoch) {
        this.freezeEpoch = freezeEpoch;
    }

    @Override
    public BatchNormConfig clone() {
        try {
            return (BatchNormConfig) super.clone();
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof BatchNormConfig)) {
            return false;
        }
        BatchNormConfig c = (BatchNormConfig) o;
        return Double.compare(eps, c.eps) == 0 && Double.compare(decay, c.decay) == 0 && freezeEpoch == c.freezeEpoch;
    }

    @Override
    public int hashCode() {
        return Objects.hash(eps, decay, freezeEpoch);
    }

    @Override
    public String toString() {
        return "BatchNormConfig{eps=" + eps + ", decay=" + decay + ", freezeEpoch=" + freezeEpoch + "}";
    }
}
