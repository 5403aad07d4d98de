package io.github.qat4j.layers;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;
import static org.junit.jupiter.api.Assertions.assertEquals;

class Nd4jSmokeTest {
    @Test
    void mmul() {
        var a = Nd4j.createFromArray(new float[][]{{1, 2}, {3, 4}});
        assertEquals(11f, a.mmul(a.transpose()).getFloat(0, 1), 0f);
    }
}
