package io.github.qat4j.datasets;

/**
 * A data set's standard split.
 *
 * @param train the training images
 * @param test the test images
 */
public record TrainTest(ImageSet train, ImageSet test) {}
