package io.github.qat4j.examples;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;

/**
 * Label smoothing (Szegedy et al. 2016, section 7): each one-hot training label {@code y} over
 * {@code K} classes becomes {@code (1 - epsilon) y + epsilon / K}. With a softmax and the
 * cross-entropy loss, whose gradient {@code p - y} takes soft targets as they are, the network is
 * no longer pushed towards infinite logits. For training batches only; evaluation reads the labels'
 * argmax, which smoothing keeps.
 */
final class LabelSmoothing implements DataSetPreProcessor {
    private final double epsilon;

    LabelSmoothing(double epsilon) {
        if (!(epsilon > 0 && epsilon < 1)) {
            throw new IllegalArgumentException("label smoothing must be in (0, 1), got " + epsilon);
        }
        this.epsilon = epsilon;
    }

    @Override
    public void preProcess(DataSet batch) {
        INDArray labels = batch.getLabels();
        labels.muli(1 - epsilon).addi(epsilon / labels.size(1));
    }
}
