package io.github.qat4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.qat4j.core.runtime.InputPreprocessing;
import io.github.qat4j.datasets.Normalization;
import io.github.qat4j.examples.Net;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.junit.jupiter.api.Test;

/** The int8 file's record of each built-in data set's normalization gives the floats the pipeline trained on. */
class InputPreprocessingTest {
    @Test
    void recordsTheNormalizationOfEveryDataSetExactly() {
        for (DatasetChoice dataset : DatasetChoice.values()) {
            Normalization normalization = dataset.normalization();
            long channels = ((InputType.InputTypeConvolutional) dataset.inputType()).getChannels();
            byte[] pixels = new byte[(int) channels * 256];
            float[] expected = new float[pixels.length];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = (byte) i;
                expected[i] = normalization.apply(i / 256, i % 256);
            }
            InputPreprocessing recorded = Net.inputPreprocessing(normalization);
            assertArrayEquals(expected, recorded.apply(pixels), dataset.name());
        }
        assertEquals(
                InputPreprocessing.Kind.UNIT_RANGE,
                Net.inputPreprocessing(DatasetChoice.mnist.normalization()).kind());
        assertEquals(
                InputPreprocessing.Kind.STANDARDIZE,
                Net.inputPreprocessing(DatasetChoice.cifar10.normalization()).kind());
    }
}
