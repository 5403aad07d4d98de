package io.github.qat4j.layers;

import io.github.qat4j.core.quant.QuantSpec;
import java.io.Serializable;
import java.util.Objects;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * How one tensor of a QAT layer is fake-quantized, and the staged schedule of its scale
 * (in the spirit of PyTorch's {@code FakeQuantize} switches):
 * <ol>
 *   <li>iterations {@code [0, observeIterations)}: <b>observe</b>: the scale follows a statistic of the
 *       data (EMA min/max for activations, the weights themselves for weights); no scale gradient;</li>
 *   <li>iterations {@code [observeIterations, freezeIteration)}: <b>learn</b>: the scale is a trained
 *       parameter with the LSQ gradient;</li>
 *   <li>iterations {@code >= freezeIteration} (when {@code freezeIteration >= 0}): <b>frozen</b>.</li>
 * </ol>
 * Fake quantization itself is applied in every stage while {@link #isEnabled()} is true; a disabled
 * quantizer is the identity, which makes a prepared network compute exactly its float original.
 *
 * <p>A plain bean so that DL4J's JSON serialization of layer configurations carries it.
 */
public final class QuantizerConfig implements Serializable, Cloneable {
    /** How a weight scale is initialised from the float weights. */
    public enum ScaleInit {
        /** LSQ (Esser et al. 2020): {@code 2 * mean|w| / sqrt(qmax)} per channel. */
        LSQ,
        /** {@code max|w| / qmax} per channel: nothing is clipped at the start. */
        MAX_ABS
    }

    private int bits = 8;
    private boolean signed;
    private boolean symmetric;
    private boolean perChannel;
    private boolean enabled = true;
    private int observeIterations;
    private int freezeIteration = -1;
    private ScaleInit scaleInit = ScaleInit.MAX_ABS;
    private double emaAveragingConstant = 0.01;
    private IUpdater scaleUpdater = new Sgd(DEFAULT_SCALE_LEARNING_RATE);

    /**
     * LSQ's gradient scale {@code 1/sqrt(N*qmax)} is derived for plain SGD at the weights' learning
     * rate (Esser et al. use SGD at 0.01); an adaptive updater such as Adam would move a scale by
     * about its learning rate per step whatever the gradient, which is large next to a weight scale
     * of 1e-3, and would keep moving a frozen scale on its momentum. Plain SGD, then, but at 1e-3, not
     * Esser et al.'s 0.01: the weights here train with Adam at 1e-4, far smaller steps than SGD at 0.01,
     * and at 0.01 the scales of conv1 (25 weights per channel, so the largest g) could fall to the
     * floor within 40 steps of a short run (two of 20 did, layer SQNR 16.9 dB; at 1e-3 none, 48.6 dB).
     */
    public static final double DEFAULT_SCALE_LEARNING_RATE = 0.001;

    public QuantizerConfig() {}

    /** Weights: signed, symmetric, per output channel, scales from {@code max|w|}, learned from the start. */
    public static QuantizerConfig weights(int bits) {
        QuantizerConfig c = new QuantizerConfig();
        c.setBits(bits);
        c.signed = true;
        c.symmetric = true;
        c.perChannel = true;
        return c;
    }

    /**
     * Activations: unsigned, asymmetric, per tensor; the scale is observed for {@code observeIterations}
     * iterations (PyTorch's default EMA constant 0.01), then learned.
     */
    public static QuantizerConfig activations(int bits, int observeIterations) {
        QuantizerConfig c = new QuantizerConfig();
        c.setBits(bits);
        c.setObserveIterations(observeIterations);
        return c;
    }

    /** The integer grid this config describes; {@code perChannelAxis} is used when per channel. */
    public QuantSpec spec(int perChannelAxis) {
        return QuantSpec.of(bits, signed, symmetric, perChannel ? perChannelAxis : -1);
    }

    public Stage stage(long iteration) {
        if (iteration < observeIterations) {
            return Stage.OBSERVE;
        }
        return freezeIteration >= 0 && iteration >= freezeIteration ? Stage.FROZEN : Stage.LEARN;
    }

    /** Where a quantizer is in its schedule at a given iteration. */
    public enum Stage {
        OBSERVE,
        LEARN,
        FROZEN
    }

    public int getBits() {
        return bits;
    }

    public void setBits(int bits) {
        QuantSpec.of(bits, signed, symmetric, -1); // validates the width in one place
        this.bits = bits;
    }

    public boolean isSigned() {
        return signed;
    }

    public void setSigned(boolean signed) {
        this.signed = signed;
    }

    public boolean isSymmetric() {
        return symmetric;
    }

    public void setSymmetric(boolean symmetric) {
        this.symmetric = symmetric;
    }

    public boolean isPerChannel() {
        return perChannel;
    }

    public void setPerChannel(boolean perChannel) {
        this.perChannel = perChannel;
    }

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public int getObserveIterations() {
        return observeIterations;
    }

    public void setObserveIterations(int observeIterations) {
        if (observeIterations < 0) {
            throw new IllegalArgumentException("observeIterations must be >= 0, got " + observeIterations);
        }
        this.observeIterations = observeIterations;
    }

    public int getFreezeIteration() {
        return freezeIteration;
    }

    /** The first iteration at which the scale stops changing; negative for never. */
    public void setFreezeIteration(int freezeIteration) {
        this.freezeIteration = freezeIteration;
    }

    public ScaleInit getScaleInit() {
        return scaleInit;
    }

    public void setScaleInit(ScaleInit scaleInit) {
        this.scaleInit = Objects.requireNonNull(scaleInit, "scaleInit");
    }

    public double getEmaAveragingConstant() {
        return emaAveragingConstant;
    }

    public void setEmaAveragingConstant(double c) {
        if (!(c > 0 && c <= 1)) {
            throw new IllegalArgumentException("EMA averaging constant must be in (0, 1], got " + c);
        }
        this.emaAveragingConstant = c;
    }

    public IUpdater getScaleUpdater() {
        return scaleUpdater;
    }

    /** The updater of the learned scales (plain SGD by default, see {@link #DEFAULT_SCALE_LEARNING_RATE}). */
    public void setScaleUpdater(IUpdater scaleUpdater) {
        this.scaleUpdater = Objects.requireNonNull(scaleUpdater, "scaleUpdater");
    }

    @Override
    public QuantizerConfig clone() {
        try {
            QuantizerConfig c = (QuantizerConfig) super.clone();
            c.scaleUpdater = scaleUpdater.clone();
            return c;
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof QuantizerConfig)) {
            return false;
        }
        QuantizerConfig c = (QuantizerConfig) o;
        return bits == c.bits
                && signed == c.signed
                && symmetric == c.symmetric
                && perChannel == c.perChannel
                && enabled == c.enabled
                && observeIterations == c.observeIterations
                && freezeIteration == c.freezeIteration
                && scaleInit == c.scaleInit
                && Double.compare(emaAveragingConstant, c.emaAveragingConstant) == 0
                && scaleUpdater.equals(c.scaleUpdater);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                bits,
                signed,
                symmetric,
                perChannel,
                enabled,
                observeIterations,
                freezeIteration,
                scaleInit,
                emaAveragingConstant,
                scaleUpdater);
    }

    @Override
    public String toString() {
        return "QuantizerConfig{bits=" + bits + (signed ? ", signed" : ", unsigned")
                + (symmetric ? ", symmetric" : ", asymmetric") + (perChannel ? ", per channel" : ", per tensor")
                + (enabled ? "" : ", disabled") + ", observe=" + observeIterations + ", freeze=" + freezeIteration
                + ", init=" + scaleInit + "}";
    }
}
