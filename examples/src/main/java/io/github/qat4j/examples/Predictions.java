package io.github.qat4j.examples;

import java.util.Arrays;

/**
 * A classifier's predicted class for each test image, next to the true labels.
 *
 * @param predicted one class index per image
 * @param labels the true class of each image
 * @param classes the number of classes
 */
public record Predictions(int[] predicted, int[] labels, int classes) {
    public Predictions {
        if (predicted.length != labels.length) {
            throw new IllegalArgumentException(predicted.length + " predictions for " + labels.length + " labels");
        }
    }

    public double accuracy() {
        return agreement(labels);
    }

    /** The fraction of images on which this classifier and {@code other} predict the same class. */
    double agreementWith(Predictions other) {
        return agreement(other.predicted);
    }

    /** {@code counts[true][predicted]}. */
    long[][] confusion() {
        long[][] counts = new long[classes][classes];
        for (int i = 0; i < predicted.length; i++) {
            counts[labels[i]][predicted[i]]++;
        }
        return counts;
    }

    private double agreement(int[] reference) {
        if (predicted.length == 0) {
            return Double.NaN;
        }
        long same = 0;
        for (int i = 0; i < predicted.length; i++) {
            if (predicted[i] == reference[i]) {
                same++;
            }
        }
        return (double) same / predicted.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Predictions p
                && Arrays.equals(predicted, p.predicted)
                && Arrays.equals(labels, p.labels)
                && classes == p.classes;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(predicted) + Arrays.hashCode(labels);
    }

    @Override
    public String toString() {
        return "Predictions[" + predicted.length + " images, accuracy " + accuracy() + "]";
    }
}
