package io.github.qat4j.core.runtime;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded mutation fuzzing of the reader: 120,000 mutants of files written by the writer (bit
 * flips, byte sets, truncations, insertions, forged length and int fields), half of them with
 * every CRC recomputed so the mutation reaches the parser. Each either loads and predicts without
 * any exception, or is a {@link ModelFormatException}; nothing else, no hang, no OOM. Takes about
 * 20 s on the 2-core build machine; the timeout is there to catch a hang.
 */
class ModelFormatFuzzTest {

    private static final int MUTANTS = 120_000;
    private static final int[] INTERESTING = {
        0,
        1,
        -1,
        2,
        3,
        4,
        7,
        8,
        16,
        255,
        256,
        65535,
        65536,
        1 << 20,
        1 << 24,
        1 << 30,
        Integer.MAX_VALUE,
        Integer.MIN_VALUE,
        Integer.MAX_VALUE - 7
    };

    @Test
    void mutantsEitherLoadOrThrowModelFormatException() {
        Random seeds = new Random(31);
        List<byte[]> originals = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            originals.add(ModelFormat.write(
                    RandomModels.random(new Random(seeds.nextLong())).graph()));
        }
        int[] outcome = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            Random rnd = new Random(32);
            for (int m = 0; m < MUTANTS; m++) {
                byte[] original = originals.get(m % originals.size());
                int kind = rnd.nextInt(6);
                byte[] mutant = mutate(rnd, original, kind);
                if (rnd.nextBoolean()) {
                    mutant = ModelFiles.reseal(mutant);
                }
                try {
                    Int8Model model = Int8Model.load(new ByteArrayInputStream(mutant));
                    float[] x = RandomModels.input(rnd, sizeOf(model.inputShape()));
                    model.predict(x);
                    model.quantizedOutput(0, x);
                    outcome[0]++;
                } catch (ModelFormatException expected) {
                    outcome[1]++;
                } catch (Throwable t) {
                    fail("mutant " + m + " (kind " + kind + ", " + mutant.length + " bytes) threw " + t, t);
                }
            }
        });
        // The unchanged-by-chance mutants load; everything else must have been caught.
        System.out.println("fuzz: " + outcome[0] + " mutants loaded and ran, " + outcome[1] + " rejected");
        assertTrue(outcome[1] > MUTANTS / 2, Arrays.toString(outcome));
    }

    private static int sizeOf(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    private static byte[] mutate(Random rnd, byte[] original, int kind) {
        byte[] f = original.clone();
        switch (kind) {
            case 0 -> {
                for (int i = 1 + rnd.nextInt(3); i > 0; i--) {
                    int at = rnd.nextInt(f.length);
                    f[at] ^= (byte) (1 << rnd.nextInt(8));
                }
                return f;
            }
            case 1 -> {
                f[rnd.nextInt(f.length)] = (byte) rnd.nextInt(256);
                return f;
            }
            case 2 -> {
                return Arrays.copyOf(f, rnd.nextInt(f.length));
            }
            case 3 -> {
                int at = rnd.nextInt(f.length + 1);
                byte[] inserted = new byte[1 + rnd.nextInt(8)];
                rnd.nextBytes(inserted);
                byte[] g = new byte[f.length + inserted.length];
                System.arraycopy(f, 0, g, 0, at);
                System.arraycopy(inserted, 0, g, at, inserted.length);
                System.arraycopy(f, at, g, at + inserted.length, f.length - at);
                return g;
            }
            case 4 -> {
                List<Integer> sections = ModelFiles.sections(f);
                int start = sections.get(rnd.nextInt(sections.size()));
                int length = ModelFiles.le(f).getInt(start + 4);
                int forged = rnd.nextBoolean()
                        ? length + rnd.nextInt(33) - 16
                        : INTERESTING[rnd.nextInt(INTERESTING.length)];
                ModelFiles.le(f).putInt(start + 4, forged);
                return f;
            }
            default -> {
                // An int field inside some payload: dimensions, channel counts, tensor ids, shifts.
                int at = 12 + rnd.nextInt(Math.max(1, f.length - 16));
                int v = rnd.nextBoolean()
                        ? INTERESTING[rnd.nextInt(INTERESTING.length)]
                        : ModelFiles.le(f).getInt(at) + rnd.nextInt(5) - 2;
                ModelFiles.le(f).putInt(at, v);
                return f;
            }
        }
    }
}
