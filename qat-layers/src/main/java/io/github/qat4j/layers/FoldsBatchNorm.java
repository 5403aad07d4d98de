package io.github.qat4j.layers;

/**
 * A QAT convolution with a BatchNorm folded into it: besides its own parameters it holds the
 * BatchNorm's {@code gamma}, {@code beta}, running mean and running variance, one per output channel
 * (see {@link BatchNormFold} for the math).
 */
public interface FoldsBatchNorm extends QatWeightLayer {
    BatchNormConfig getBatchNorm();

    void setBatchNorm(BatchNormConfig batchNorm);
}
