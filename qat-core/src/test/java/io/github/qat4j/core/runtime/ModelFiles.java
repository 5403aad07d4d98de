package io.github.qat4j.core.runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/** Test helpers that walk and re-checksum model files, so forged content gets past the CRC to the parser. */
final class ModelFiles {

    private ModelFiles() {}

    /** Offsets of each section's tag, as far as the length fields lead (stops at the first that overruns). */
    static List<Integer> sections(byte[] file) {
        List<Integer> starts = new ArrayList<>();
        int pos = 12;
        while (pos + 12 <= file.length) {
            int length = le(file).getInt(pos + 4);
            if (length < 0 || pos + 12L + length > file.length) {
                break;
            }
            starts.add(pos);
            pos += 12 + length;
        }
        return starts;
    }

    /** Recomputes every reachable section's CRC32. */
    static byte[] reseal(byte[] file) {
        for (int start : sections(file)) {
            int length = le(file).getInt(start + 4);
            CRC32 crc = new CRC32();
            crc.update(file, start, 8 + length);
            le(file).putInt(start + 8 + length, (int) crc.getValue());
        }
        return file;
    }

    /** {@code file} with its section {@code index} (0 the INPUT) replaced by {@code section}, framing included. */
    static byte[] replaceSection(byte[] file, int index, byte[] section) {
        int start = sections(file).get(index);
        int end = start + 12 + le(file).getInt(start + 4);
        byte[] out = new byte[file.length - (end - start) + section.length];
        System.arraycopy(file, 0, out, 0, start);
        System.arraycopy(section, 0, out, start, section.length);
        System.arraycopy(file, end, out, start + section.length, file.length - end);
        return out;
    }

    static ByteBuffer le(byte[] file) {
        return ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    }
}
