package io.github.qat4j.examples;

import java.util.Objects;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A rate that falls linearly from {@code initialValue} at iteration 0 to 0 at {@code iterations},
 * and stays 0 after. DL4J's {@code PolySchedule}, which reads as this with power 1, computes
 * {@code initialValue * (1 + i / maxIter)^power} in 1.0.0-M2.1: with power 1 the rate climbs to twice
 * its start, which is what the pipelines used to train with.
 */
public final class LinearDecaySchedule implements ISchedule {
    private final double initialValue;
    private final int iterations;

    @JsonCreator
    public LinearDecaySchedule(
            @JsonProperty("initialValue") double initialValue, @JsonProperty("iterations") int iterations) {
        if (!(initialValue >= 0) || iterations < 1) {
            throw new IllegalArgumentException(
                    "need a rate >= 0 and at least 1 iteration, got " + initialValue + " over " + iterations);
        }
        this.initialValue = initialValue;
        this.iterations = iterations;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        return iteration >= iterations ? 0 : initialValue * (1 - (double) iteration / iterations);
    }

    @Override
    public ISchedule clone() {
        return new LinearDecaySchedule(initialValue, iterations);
    }

    @JsonProperty("initialValue")
    public double getInitialValue() {
        return initialValue;
    }

    @JsonProperty("iterations")
    public int getIterations() {
        return iterations;
    }

    // DL4J merges the parameters of layers whose updaters are equal into one updater block, and an
    // updater's equality includes its schedule's.
    @Override
    public boolean equals(Object o) {
        return o instanceof LinearDecaySchedule s && s.initialValue == initialValue && s.iterations == iterations;
    }

    @Override
    public int hashCode() {
        return Objects.hash(initialValue, iterations);
    }

    @Override
    public String toString() {
        return "LinearDecaySchedule(" + initialValue + " to 0 over " + iterations + " iterations)";
    }
}
