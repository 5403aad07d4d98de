package io.github.qat4j.examples.cli;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;

/**
 * {@code qat bench --other-vector-shapes}: before anything is timed, runs the common Vector API
 * operations on int, long, short and byte vectors of every shape (64 to 512 bits), as another
 * library in the same JVM would (Lucene's vectorized scoring, say). The JIT compiles calls on a
 * vector whose exact class it cannot see from receiver profiles that all code shares inside the
 * JDK's vector classes, so this shows what the int8 runtime does in such a JVM rather than in one
 * that only ever ran its own kernels (BENCHMARKS.md, section 11).
 */
final class OtherVectorShapes {
    private OtherVectorShapes() {}

    /** Runs the operations until the JIT has profiled them: a few seconds, once per JVM. */
    static long exercise() {
        int[] ints = new int[256];
        long[] longs = new long[256];
        short[] shorts = new short[256];
        byte[] bytes = new byte[256];
        long sink = 0;
        for (VectorShape shape : new VectorShape[] {
            VectorShape.S_64_BIT, VectorShape.S_128_BIT, VectorShape.S_256_BIT, VectorShape.S_512_BIT
        }) {
            var is = IntVector.SPECIES_64.withShape(shape);
            var ls = LongVector.SPECIES_64.withShape(shape);
            var ss = ShortVector.SPECIES_64.withShape(shape);
            var bs = ByteVector.SPECIES_64.withShape(shape);
            for (int round = 0; round < 3000; round++) {
                for (int i = 0; i + 64 <= ints.length; i += 64) {
                    IntVector x = IntVector.fromArray(is, ints, i);
                    x = x.add(x.mul(x))
                            .lanewise(VectorOperators.ASHR, 3)
                            .max(x)
                            .min(x)
                            .blend(x, x.compare(VectorOperators.LT, 0));
                    x.intoArray(ints, i);
                    sink += x.reduceLanes(VectorOperators.ADD);
                    LongVector y = LongVector.fromArray(ls, longs, i);
                    y.add(y.mul(y))
                            .lanewise(VectorOperators.ASHR, 3)
                            .max(y)
                            .min(y)
                            .intoArray(longs, i);
                    ShortVector z = ShortVector.fromArray(ss, shorts, i);
                    z.add(z.mul(z)).max(z).min(z).intoArray(shorts, i);
                    ByteVector w = ByteVector.fromArray(bs, bytes, i);
                    w.add(w).max(w).min(w).intoArray(bytes, i);
                    ((IntVector) w.convertShape(VectorOperators.B2I, is, 0)).intoArray(ints, i);
                    ((LongVector) x.convertShape(VectorOperators.I2L, ls, 0)).intoArray(longs, i);
                    ((IntVector) y.convertShape(VectorOperators.L2I, is, 0)).intoArray(ints, i);
                    ((ByteVector) x.convertShape(VectorOperators.I2B, bs, 0)).intoArray(bytes, i);
                }
            }
        }
        return sink + ints[3] + longs[5] + shorts[7] + bytes[9];
    }
}
