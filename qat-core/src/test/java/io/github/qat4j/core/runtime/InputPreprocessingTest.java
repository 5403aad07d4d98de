package io.github.qat4j.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The preprocessing a file records, applied to pixels as qat-core/README.md specifies it. */
class InputPreprocessingTest {

    @Test
    void appliesTheSpecifiedArithmeticPerChannel() {
        byte[] pixels = new byte[3 * 256];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) i;
        }
        double[] mean = {0.4914, 0.4822, 0.4465};
        double[] std = {0.2470, 0.2435, 0.2616};
        float[] standardized = InputPreprocessing.standardize(mean, std).apply(pixels);
        float[] unit = InputPreprocessing.unitRange().apply(pixels);
        for (int i = 0; i < pixels.length; i++) {
            int c = i / 256;
            assertEquals((float) ((i % 256 / 255.0 - mean[c]) / std[c]), standardized[i], "pixel " + i);
            assertEquals((float) (i % 256 / 255.0), unit[i], "pixel " + i);
        }
        assertEquals(0f, unit[0]);
        assertEquals(1f, unit[255]);
    }

    @Test
    void refusesWhatItCannotDo() {
        assertThrows(IllegalStateException.class, () -> InputPreprocessing.NOT_RECORDED.apply(new byte[4]));
        InputPreprocessing rgb = InputPreprocessing.standardize(new double[] {0, 0, 0}, new double[] {1, 1, 1});
        assertThrows(IllegalArgumentException.class, () -> rgb.apply(new byte[4]));
        assertThrows(
                IllegalArgumentException.class,
                () -> InputPreprocessing.unitRange().apply(new byte[0]));
        assertThrows(
                IllegalArgumentException.class, () -> InputPreprocessing.standardize(new double[0], new double[0]));
        assertThrows(
                IllegalArgumentException.class,
                () -> InputPreprocessing.standardize(new double[] {0}, new double[] {0}));
        assertThrows(
                IllegalArgumentException.class,
                () -> new InputPreprocessing(InputPreprocessing.Kind.UNIT_RANGE, new double[] {0}, new double[] {1}));
    }

    @Test
    void aModelWithPreprocessingComputesWhatItComputedWithout() {
        Int8Model model = RandomModels.lenet(new Random(3), 8).build();
        Int8Model recorded = model.withInputPreprocessing(InputPreprocessing.unitRange());
        assertEquals(InputPreprocessing.NOT_RECORDED, model.inputPreprocessing());
        assertEquals(InputPreprocessing.unitRange(), recorded.inputPreprocessing());
        byte[] pixels = new byte[28 * 28];
        new Random(4).nextBytes(pixels);
        float[] x = recorded.inputPreprocessing().apply(pixels);
        assertArrayEquals(model.predict(x), recorded.predict(x));
    }
}
