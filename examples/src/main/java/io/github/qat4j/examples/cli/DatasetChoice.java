package io.github.qat4j.examples.cli;

import io.github.qat4j.datasets.Cifar10;
import io.github.qat4j.datasets.Mnist;
import io.github.qat4j.datasets.Normalization;
import io.github.qat4j.datasets.TrainTest;
import java.nio.file.Path;
import org.deeplearning4j.nn.conf.inputs.InputType;

/** A built-in data set with the input normalization its pipeline trains with (and the int8 model expects). */
enum DatasetChoice {
    mnist {
        @Override
        TrainTest load(Path dataRoot) {
            return dataRoot == null ? Mnist.load() : Mnist.load(dataRoot);
        }

        @Override
        Normalization normalization() {
            return Normalization.unitRange();
        }

        @Override
        InputType inputType() {
            return InputType.convolutional(Mnist.HEIGHT, Mnist.WIDTH, 1);
        }
    },
    cifar10 {
        @Override
        TrainTest load(Path dataRoot) {
            return dataRoot == null ? Cifar10.load() : Cifar10.load(dataRoot);
        }

        @Override
        Normalization normalization() {
            return Cifar10.standardization();
        }

        @Override
        InputType inputType() {
            return InputType.convolutional(Cifar10.HEIGHT, Cifar10.WIDTH, Cifar10.CHANNELS);
        }
    };

    /** Installs the data set if needed under {@code dataRoot} (null: the default root) and reads it. */
    abstract TrainTest load(Path dataRoot);

    abstract Normalization normalization();

    /** The images as the pipeline's networks take them, NCHW. */
    abstract InputType inputType();
}
