package io.github.qat4j.examples;

import io.github.qat4j.datasets.ImageSetIterator;
import io.github.qat4j.datasets.Normalization;
import io.github.qat4j.datasets.TrainTest;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * What a pipeline trains and on what: the data, how pixels become inputs, and how to get the float
 * network and the QAT updater.
 *
 * @param dataset the data set's name, for the report
 * @param model the model's name, for the report
 * @param modelId what identifies the float network's origin: a float checkpoint is reused only for the same
 * @param data train and test images
 * @param normalization pixels to network inputs, the same in training, evaluation and the int8 runtime
 * @param augmentation what is done to the training images
 * @param floatModel the float network before its float training
 * @param qatUpdater the QAT fine-tuning updater of the weights
 */
public record Workload(
        String dataset,
        String model,
        String modelId,
        TrainTest data,
        Normalization normalization,
        Augmentation augmentation,
        FloatModel floatModel,
        Schedule qatUpdater) {

    /** Training-image augmentation, drawn anew each epoch from the run's seed. */
    public enum Augmentation {
        NONE,
        /** Random shifts of up to 2 pixels (a crop after zero padding): MNIST. */
        SHIFT,
        /**
         * A random crop after 2 pixels of zero padding, and a horizontal flip with probability 1/2: CIFAR-10.
         * He et al. pad by 4 for 160 epochs; for a schedule of ten, shifts of up to 2 pixels train better
         * (Jordan 2024, "94% on CIFAR-10 in 3.29 seconds on a single GPU", section 3).
         */
        CROP_FLIP;

        ImageSetIterator.Builder apply(ImageSetIterator.Builder images, long seed) {
            return switch (this) {
                case NONE -> images;
                case SHIFT -> images.randomCrop(2, seed);
                case CROP_FLIP -> images.randomCropFlip(2, seed);
            };
        }
    }

    /** The float network to train, for a seed and the float stage's learning rate and number of iterations. */
    @FunctionalInterface
    public interface FloatModel {
        Net create(long seed, double learningRate, long iterations);
    }

    /** An updater whose rate may depend on the total number of iterations of the stage. */
    @FunctionalInterface
    public interface Schedule {
        IUpdater updater(double learningRate, long iterations);
    }
}
