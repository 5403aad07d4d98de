package io.github.qat4j.core.runtime;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Where a convolution's taps read, laid out so that {@link Int8Kernels#convGemm} only ever sees a
 * stride-1 convolution without padding: tap {@code kk} of output pixel {@code (oy, ox)} is the byte
 * at {@code taps[kk] + oy * planeW + ox} of a plane. With stride 1 and no padding the plane is the
 * image itself. Otherwise it is a copy made once per image: for every channel and every pair of a
 * row start and a column start, a plane of the padded image sampled at the strides, {@code
 * plane[qy][qx] = padded[rowStart + qy * strideH][colStart + qx * strideW]}, with the input zero
 * point in the padding. Per axis the starts are the stride's phases ({@code ky * dilation % stride},
 * each tap then shifted by {@code ky * dilation / stride} rows: the padded image split into its
 * stride's phases), or, where that is larger, one start per tap ({@code ky * dilation}, unshifted:
 * im2col along that axis); so a copy is never larger than the im2col matrix, which the format
 * bounds ({@link Op#MAX_IM2COL}). ResNet's stride-2 3x3 convolutions read four phase planes of
 * (OH + 1) x (OW + 1), its 1x1 stride-2 shortcuts one of OH x OW.
 */
final class ConvInput {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final ConvGeometry g;
    private final Axis rows;
    private final Axis cols;
    /** Per tap {@code (c, ky, kx)}, the plane offset of output pixel (0, 0)'s input. */
    final int[] taps;

    /** One axis of the sampling: the starts, and per kernel index its start and its shift in plane rows. */
    private record Axis(int[] starts, int[] startOf, int[] shift, int size) {

        /** {@code alwaysByPhase}: the plane is the image itself (stride 1, no padding). */
        static Axis of(int out, int k, int stride, int dilation, boolean alwaysByPhase) {
            long phased = Math.min(stride, k) * ((long) out + (long) (k - 1) * dilation / stride);
            boolean byPhase = alwaysByPhase || phased <= (long) k * out;
            int[] startOf = new int[k];
            int[] shift = new int[k];
            int[] starts = new int[k];
            int count = 0;
            for (int i = 0; i < k; i++) {
                int start = byPhase ? i * dilation % stride : i * dilation;
                shift[i] = byPhase ? i * dilation / stride : 0;
                int s = 0;
                while (s < count && starts[s] != start) {
                    s++;
                }
                if (s == count) {
                    starts[count++] = start;
                }
                startOf[i] = s;
            }
            int size = byPhase ? out + (k - 1) * dilation / stride : out;
            return new Axis(Arrays.copyOf(starts, count), startOf, shift, size);
        }
    }

    ConvInput(ConvGeometry g) {
        this.g = g;
        rows = Axis.of(g.outH(), g.kH(), g.strideH(), g.dilationH(), !copy(g));
        cols = Axis.of(g.outW(), g.kW(), g.strideW(), g.dilationW(), !copy(g));
        taps = new int[g.inChannels() * g.kH() * g.kW()];
        int plane = rows.size * cols.size;
        for (int c = 0, kk = 0; c < g.inChannels(); c++) {
            for (int ky = 0; ky < g.kH(); ky++) {
                for (int kx = 0; kx < g.kW(); kx++) {
                    taps[kk++] = ((c * rows.starts.length + rows.startOf[ky]) * cols.starts.length + cols.startOf[kx])
                                    * plane
                            + rows.shift[ky] * cols.size
                            + cols.shift[kx];
                }
            }
        }
    }

    private static boolean copy(ConvGeometry g) {
        return g.strideH() > 1 || g.strideW() > 1 || g.padTop() + g.padLeft() + g.padBottom() + g.padRight() > 0;
    }

    /** Whether the plane is a copy ({@link #copy}) rather than the image itself. */
    boolean copied() {
        return copy(g);
    }

    /** Bytes of the copy of one image; 0 when the plane is the image. */
    int bytes() {
        return copied() ? g.inChannels() * rows.starts.length * cols.starts.length * rows.size * cols.size : 0;
    }

    /** Columns of a plane: output pixel {@code (oy, ox)} is at {@code oy * planeW() + ox}. */
    int planeW() {
        return cols.size;
    }

    /**
     * The copy of image {@code in[c][h][w]} at {@code inOffset} into {@code plane}, {@code pad} in the
     * padding; may read {@link Int8Kernels#ROW_SLACK} bytes past the image and write that many past
     * {@link #bytes}.
     */
    void copy(byte[] in, int inOffset, byte pad, byte[] plane) {
        int sh = g.strideH();
        int sw = g.strideW();
        int dst = 0;
        for (int c = 0; c < g.inChannels(); c++) {
            int channel = inOffset + c * g.inPlane();
            for (int rowStart : rows.starts) {
                for (int colStart : cols.starts) {
                    // Columns qx whose input column colStart + qx * sw - padLeft lies inside the image.
                    int dx = colStart - g.padLeft();
                    int from = Math.min(cols.size, dx >= 0 ? 0 : (-dx + sw - 1) / sw);
                    int to = Math.max(from, Math.min(cols.size, g.inW() - dx <= 0 ? 0 : (g.inW() - dx - 1) / sw + 1));
                    for (int qy = 0; qy < rows.size; qy++, dst += cols.size) {
                        int iy = rowStart + qy * sh - g.padTop();
                        if (iy < 0 || iy >= g.inH() || to == from) {
                            Arrays.fill(plane, dst, dst + cols.size, pad);
                            continue;
                        }
                        int src = channel + iy * g.inW() + dx + from * sw;
                        if (sw == 1) {
                            System.arraycopy(in, src, plane, dst + from, to - from);
                        } else if (sw == 2) {
                            deinterleave(in, src, plane, dst + from, to - from);
                        } else {
                            for (int qx = from; qx < to; qx++, src += sw) {
                                plane[dst + qx] = in[src];
                            }
                        }
                        // The padding after the copy, which may have written past its columns (deinterleave).
                        for (int qx = 0; qx < from; qx++) {
                            plane[dst + qx] = pad;
                        }
                        for (int qx = to; qx < cols.size; qx++) {
                            plane[dst + qx] = pad;
                        }
                    }
                }
            }
        }
    }

    /**
     * {@code out[outOffset + i] = in[inOffset + 2 * i]} for {@code i < count}, four at a time from
     * one long: a stride-2 convolution's phase planes take every other byte of each input row, and
     * byte by byte that copy cost more than ResNet-8's strided convolutions' multiplies. Reads up to 7
     * bytes past the last one it needs and writes up to 3 past {@code count}, which {@link
     * Int8Kernels#ROW_SLACK} and the caller's rewriting of the following bytes allow.
     */
    private static void deinterleave(byte[] in, int inOffset, byte[] out, int outOffset, int count) {
        for (int i = 0; i < count; i += 4) {
            long x = (long) LONGS.get(in, inOffset + 2 * i) & 0x00FF00FF00FF00FFL;
            x = (x | x >>> 8) & 0x0000FFFF0000FFFFL;
            INTS.set(out, outOffset + i, (int) (x | x >>> 16));
        }
    }

    /**
     * im2col of output pixels {@code first .. first + count - 1} (row-major over the output plane):
     * {@code cols[kk * pixelStride + p]} is the byte tap {@code kk} of output pixel {@code first + p}
     * reads from the plane at {@code base}, so the columns are {@link Int8Kernels#convGemm}'s source
     * with {@code tapOffset[kk] = kk * pixelStride}. Runs of up to OW bytes, no bounds to check.
     */
    void im2col(byte[] plane, int base, int first, int count, byte[] out, int pixelStride) {
        int outW = g.outW();
        int planeW = cols.size;
        int firstRow = first / outW;
        int firstColumn = first - firstRow * outW;
        for (int kk = 0; kk < taps.length; kk++) {
            int dst = kk * pixelStride;
            int left = count;
            for (int oy = firstRow, ox = firstColumn; left > 0; oy++, ox = 0) {
                int run = Math.min(outW - ox, left);
                System.arraycopy(plane, base + taps[kk] + oy * planeW + ox, out, dst, run);
                dst += run;
                left -= run;
            }
        }
    }
}
