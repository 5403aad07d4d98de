package io.github.qat4j.examples;

import java.io.Serializable;

/**
 * One finished training epoch.
 *
 * @param epoch 1-based
 * @param trainLoss mean training loss over the epoch's batches
 * @param trainAccuracy fraction of training images classified correctly while training (running)
 * @param testAccuracy fraction of test images classified correctly after the epoch
 * @param seconds wall time of the epoch's training (evaluation excluded)
 */
record EpochStats(int epoch, double trainLoss, double trainAccuracy, double testAccuracy, double seconds)
        implements Serializable {}
