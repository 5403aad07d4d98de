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

  static ByteBuffer le(byte[] file) {
    return ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
  }
}
