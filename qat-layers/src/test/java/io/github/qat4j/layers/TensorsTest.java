package io.github.qat4j.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The bulk copies against ND4J's element-by-element access, on the kinds of arrays DL4J hands a layer. */
class TensorsTest {

    private static float[] elementwise(INDArray x) {
        INDArray flat = x.dup('c').reshape(x.length());
        float[] v = new float[(int) x.length()];
        for (int i = 0; i < v.length; i++) {
            v[i] = flat.getFloat(i);
        }
        return v;
    }

    @Test
    void readsViewsPermutationsAndOtherTypesRowMajor() {
        INDArray base = Nd4j.linspace(1, 120, 120, DataType.FLOAT).reshape(4, 5, 6);
        INDArray flat = Nd4j.linspace(1, 50, 50, DataType.FLOAT);
        List<INDArray> arrays = List.of(
                base,
                base.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all(), NDArrayIndex.all()), // offset view
                base.get(NDArrayIndex.all(), NDArrayIndex.interval(1, 4), NDArrayIndex.all()), // strided view
                flat.get(NDArrayIndex.interval(17, 29)).reshape(3, 4), // a parameter view
                base.permute(2, 0, 1),
                base.dup('f'),
                base.castTo(DataType.DOUBLE),
                Nd4j.createUninitialized(DataType.FLOAT, 8, 3, 1, 1)
                        .assign(flat.get(NDArrayIndex.interval(0, 24)).reshape(8, 3, 1, 1)),
                base.reshape(4, 30).getRow(2).reshape(1, 30, 1));
        for (INDArray x : arrays) {
            assertArrayEquals(elementwise(x), Tensors.toFloats(x), x.shapeInfoToString());
        }
    }

    @Test
    void writesInPlaceAndRoundTripsInsideAWorkspace() {
        WorkspaceConfiguration conf =
                WorkspaceConfiguration.builder().initialSize(1 << 20).build();
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "TensorsTest")) {
            Nd4j.createUninitialized(DataType.FLOAT, 7); // so that the next array does not start the workspace
            INDArray target = Nd4j.createUninitialized(DataType.FLOAT, 3, 4);
            float[] values = new float[12];
            for (int i = 0; i < values.length; i++) {
                values[i] = i * 0.5f - 2;
            }
            Tensors.write(values, target);
            assertArrayEquals(values, elementwise(target));
            assertArrayEquals(values, Tensors.toFloats(target));

            INDArray flat = Nd4j.zeros(DataType.FLOAT, 30);
            INDArray view = flat.get(NDArrayIndex.interval(10, 22)).reshape(3, 4);
            Tensors.write(values, view);
            assertEquals(0f, flat.getFloat(9));
            assertEquals(values[0], flat.getFloat(10));
            assertEquals(values[11], flat.getFloat(21));
            assertEquals(0f, flat.getFloat(22));
        }
        INDArray detached = Tensors.detached(new float[] {1, 2, 3, 4}, new long[] {2, 2}, DataType.DOUBLE);
        assertEquals(DataType.DOUBLE, detached.dataType());
        assertEquals(4.0, detached.getDouble(1, 1));
    }

    @Test
    void refusesAnArrayItCannotWriteInPlace() {
        INDArray strided = Nd4j.zeros(DataType.FLOAT, 4, 4).get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Tensors.write(new float[8], strided));
        assertEquals(true, e.getMessage().contains("dense row-major"), e.getMessage());
    }
}
