package io.github.qat4j.examples;

import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;

/** The updaters of the pipelines. */
public final class Updaters {
    private Updaters() {}

    /**
     * Adam with the rate decaying linearly to zero over the stage: for schedules of a few epochs a
     * linear decay lands in a better minimum than a constant rate, with no schedule to tune.
     * The schedule counts iterations, which checkpoints keep, so a resumed run continues it.
     */
    public static IUpdater adamLinearDecay(double learningRate, long iterations) {
        return new Adam(new LinearDecaySchedule(learningRate, Math.toIntExact(Math.max(1, iterations))));
    }

    /** SGD with Nesterov momentum 0.9 (the CIFAR ResNets' optimizer in He et al.), the same linear decay. */
    public static IUpdater nesterovLinearDecay(double learningRate, long iterations) {
        return new Nesterovs(new LinearDecaySchedule(learningRate, Math.toIntExact(Math.max(1, iterations))), 0.9);
    }
}
