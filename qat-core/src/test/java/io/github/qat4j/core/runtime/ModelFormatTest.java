package io.github.qat4j.core.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every kind of malformed file is a ModelFormatException that says what and where. */
class ModelFormatTest {

  /**
   * A small random model with a requantized average pool: without one a version 5 file reads the
   * same as version 4, so a flipped version byte would go unnoticed, harmlessly.
   */
  private static byte[] smallModel() {
    for (int seed = 21; ; seed++) {
      Graph g = RandomModels.random(new Random(seed)).graph();
      if (g.ops().stream().anyMatch(op -> op instanceof Op.GlobalAvgPool p && p.averaged() != null
          || op instanceof Op.Pool q && q.averaged() != null)) {
        return ModelFormat.write(g);
      }
    }
  }

  private static ModelFormatException reject(byte[] file) {
    return assertThrows(ModelFormatException.class, () -> Int8Model.load(new ByteArrayInputStream(file)));
  }

  @Test
  void weightBytesIsWhatTheFileStoresAtEveryWidth() {
    byte[] at8 = ModelFormat.write(RandomModels.lenet(new Random(5), 8).graph());
    for (int bits = 2; bits <= 8; bits++) {
      Graph g = RandomModels.lenet(new Random(5), bits).graph();
      long saved = 0;
      for (Op op : g.ops()) {
        int count = op instanceof Op.Conv2D c ? c.weights().length
            : op instanceof Op.Dense d ? d.weights().length : 0;
        saved += count - Int8Model.weightBytes(bits, count);
      }
      assertEquals(at8.length - saved, ModelFormat.write(g).length, bits + " bits");
    }
    assertEquals(3, Int8Model.weightBytes(4, 5));
    assertEquals(2, Int8Model.weightBytes(2, 5));
    assertEquals(2, Int8Model.weightBytes(3, 3));
    assertEquals(4, Int8Model.weightBytes(5, 5));
    assertEquals(7, Int8Model.weightBytes(7, 8));
    assertEquals(5, Int8Model.weightBytes(8, 5));
    assertThrows(IllegalArgumentException.class, () -> Int8Model.weightBytes(1, 5));
    assertThrows(IllegalArgumentException.class, () -> Int8Model.weightBytes(8, -1));
  }

  @Test
  void everyTruncationIsRejected() {
    byte[] file = smallModel();
    for (int length = 0; length < file.length; length++) {
      ModelFormatException e = reject(java.util.Arrays.copyOf(file, length));
      assertTrue(e.offset() <= length, e.getMessage());
    }
  }

  @Test
  void everyFlippedByteIsRejected() {
    byte[] file = smallModel();
    for (int i = 0; i < file.length; i++) {
      byte[] bad = file.clone();
      bad[i] ^= (byte) (1 << (i % 8));
      reject(bad);
    }
  }

  @Test
  void checksumMismatchNamesTheSection() {
    byte[] file = smallModel();
    int second = ModelFiles.sections(file).get(1);
    file[second + 14] ^= 1;
    ModelFormatException e = reject(file);
    assertTrue(e.getMessage().contains("CRC32"), e.getMessage());
    assertEquals(second, e.offset());
  }

  @Test
  void versionFromTheFutureIsRejected() {
    byte[] file = smallModel();
    ModelFiles.le(file).putInt(8, ModelFormat.VERSION + 1);
    ModelFormatException e = reject(file);
    assertTrue(e.getMessage().contains("newer"), e.getMessage());
    assertEquals(8, e.offset());
  }

  @Test
  void unknownOpIsRejected() {
    byte[] file = smallModel();
    int op = ModelFiles.sections(file).get(1);
    ModelFiles.le(file).putInt(op, 77);
    ModelFormatException e = reject(ModelFiles.reseal(file));
    assertTrue(e.getMessage().contains("tag 77"), e.getMessage());
    assertEquals(op, e.offset());
  }

  @Test
  void forgedSectionLengthIsRejectedBeforeAllocating() {
    byte[] file = smallModel();
    int op = ModelFiles.sections(file).get(1);
    ModelFiles.le(file).putInt(op + 4, Integer.MAX_VALUE);
    ModelFormatException e = reject(file);
    assertTrue(e.getMessage().contains("exceeds"), e.getMessage());
    assertEquals(op + 4, e.offset());
  }

  @Test
  void forgedChannelCountIsRejectedBeforeAllocating() {
    Int8Model lenet = RandomModels.lenet(new Random(22), 8).build();
    byte[] file = ModelFormat.write(lenet.graphForTests());
    int dense = ModelFiles.sections(file).get(6);
    // name "dense1": 2 + 6 bytes, input tensor 4, inFeatures 4, then outFeatures.
    ModelFiles.le(file).putInt(dense + 8 + 8 + 4 + 4, 1 << 30);
    ModelFormatException e = reject(ModelFiles.reseal(file));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void inconsistentShapesBetweenOpsAreRejected() {
    Int8Model lenet = RandomModels.lenet(new Random(23), 8).build();
    byte[] file = ModelFormat.write(lenet.graphForTests());
    List<Integer> sections = ModelFiles.sections(file);
    int pool2 = sections.get(4);
    // pool2's stride 2x2 -> 1x1 (name "pool2": 2 + 5 bytes, input 4, kernel 8): [50, 7, 7] cannot flatten to [800].
    ModelFiles.le(file).putInt(pool2 + 8 + 7 + 12, 1);
    ModelFiles.le(file).putInt(pool2 + 8 + 7 + 16, 1);
    ModelFormatException e = reject(ModelFiles.reseal(file));
    assertTrue(e.getMessage().contains("flatten") && e.getMessage().contains("[50, 7, 7]"), e.getMessage());
    assertEquals((long) sections.get(5), e.offset());
  }

  @Test
  void trailingBytesAreRejected() {
    byte[] file = smallModel();
    byte[] longer = java.util.Arrays.copyOf(file, file.length + 1);
    ModelFormatException e = reject(longer);
    assertEquals(file.length, e.offset());
  }

  @Test
  void badMagicIsRejected() {
    byte[] file = smallModel();
    file[2] = 'X';
    ModelFormatException e = reject(file);
    assertTrue(e.getMessage().contains("magic"), e.getMessage());
    assertEquals(2, e.offset());
  }
}
