package io.github.qat4j.core.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM started without {@code --add-modules jdk.incubator.vector}, or with vectors narrower than 256
 * bits, runs the scalar kernels, says so once and why, and computes the same probabilities as this
 * JVM's Vector API kernels.
 */
class ScalarFallbackTest {
    @Test
    void withoutTheVectorModuleTheScalarKernelsGiveTheSameOutput(@TempDir Path dir) throws Exception {
        runChild(dir, List.of(), "jdk.incubator.vector is not readable");
    }

    /** As on a CPU with SSE alone: the class must load to say why it is not used, not fail to. */
    @Test
    void with128BitVectorsTheScalarKernelsGiveTheSameOutput(@TempDir Path dir) throws Exception {
        runChild(
                dir,
                List.of("--add-modules", "jdk.incubator.vector", "-XX:MaxVectorSize=16"),
                "preferred vector size is 128 bits");
    }

    private static void runChild(Path dir, List<String> jvmOptions, String reason) throws Exception {
        Random rnd = new Random(5);
        Int8Model model = RandomModels.lenet(rnd, 8).build();
        Path file = dir.resolve("lenet.q8");
        model.save(file);
        float[] input = RandomModels.input(rnd, 784);
        Path inputFile = dir.resolve("input.txt");
        Files.writeString(inputFile, Arrays.toString(input));

        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(jvmOptions);
        command.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                Child.class.getName(),
                file.toString(),
                inputFile.toString()));
        Process p = new ProcessBuilder(command).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), err);
        assertEquals(1, err.split("uses the scalar kernels", -1).length - 1, err);
        assertTrue(err.contains(reason), err);
        assertEquals(Arrays.toString(model.predict(input)), out);
    }

    /** Loads a model and prints its prediction for one input. */
    public static final class Child {
        public static void main(String[] args) throws IOException {
            String[] parts = Files.readString(Path.of(args[1]))
                    .replaceAll("[\\[\\] ]", "")
                    .split(",");
            float[] input = new float[parts.length];
            for (int i = 0; i < parts.length; i++) {
                input[i] = Float.parseFloat(parts[i]);
            }
            Int8Model model = Int8Model.load(Path.of(args[0]));
            model.predict(input);
            System.out.println(Arrays.toString(model.predict(input)));
        }
    }
}
