package io.github.qat4j.examples;

import io.github.qat4j.datasets.DatasetInstaller;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.shade.jackson.databind.ObjectMapper;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code qat} command line, in-process, on real MNIST (installed through the same installer as the user's). */
class QatCliTest {
    /**
     * A few seconds per stage on 2 cores; 80 float iterations take LeNet to about 95%. The rate is
     * lower than the default's because batches of 25 give noisier gradients than batches of 128.
     */
    private static final List<String> SMALL = List.of("--train-subset", "1000", "--test-subset", "200",
            "--batch-size", "25", "--lr", "0.002", "--epochs", "2", "--qat-epochs", "1", "--observe-iterations", "4");

    @Test
    void mnistInterruptedThenResumedWritesEverything(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        Run stopped = run(args(out, "--stop-after-epochs", "1"));
        assertEquals(Pipeline.STOPPED, stopped.code, stopped.err);
        Checkpoint interrupted = Checkpoint.read(out.resolve("float.zip")).orElseThrow();
        assertEquals(1, interrupted.epochsDone());
        assertFalse(Files.exists(out.resolve("qat.zip")));

        Run resumed = run(args(out, "--resume"));
        assertEquals(0, resumed.code, resumed.err);
        Checkpoint floatDone = Checkpoint.read(out.resolve("float.zip")).orElseThrow();
        assertEquals(2, floatDone.epochsDone());
        assertEquals(interrupted.history().get(0), floatDone.history().get(0), "resuming keeps the finished epoch");
        for (String file : List.of("qat.zip", "results.json", "report.html", "plots/loss.png", "plots/accuracy.png",
                "plots/sqnr.png", "plots/confusion.png", "plots/scales-00.png")) {
            assertTrue(Files.size(out.resolve(file)) > 0, file);
        }
        assertFalse(Files.exists(out.resolve("float.zip.tmp")));

        JsonNode json = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertEquals("mnist", json.get("dataset").asText());
        assertEquals("lenet5", json.get("model").asText());
        assertEquals(8, json.get("weight_bits").asInt());
        assertEquals(8, json.get("activation_bits").asInt());
        assertEquals(200, json.get("test_images").asInt());
        assertTrue(json.get("cores").asInt() >= 1);
        assertFalse(json.get("jdk").asText().isEmpty());
        // chance is 10%; LeNet is far above it after 80 iterations
        double floatAccuracy = json.at("/float/accuracy").asDouble();
        assertTrue(floatAccuracy > 0.5 && floatAccuracy <= 1, "float accuracy " + floatAccuracy);
        double qatAccuracy = json.at("/qat/accuracy").asDouble();
        assertTrue(qatAccuracy > 0.5 && qatAccuracy <= 1, "QAT accuracy " + qatAccuracy);
        assertEquals(4 * (20 * 25 + 20 + 50 * 20 * 25 + 50 + 800 * 500 + 500 + 500 * 10 + 10),
                json.at("/float/model_bytes").asLong(), "float32 LeNet-5 parameters");
        assertTrue(json.at("/float/train_seconds").asDouble() > 0);
        assertTrue(json.at("/qat/train_seconds").asDouble() > 0);
        assertTrue(json.at("/float/latency_ms_batch1").asDouble() > 0);
        assertEquals(2, json.at("/float/epochs").asInt());
        assertEquals(1, json.at("/qat/epochs").asInt());
        if (json.has("int8")) {
            // the runtime computes what the fake-quantized network does, up to rare off-by-one LSBs
            assertTrue(json.at("/int8/agreement_with_qat").asDouble() >= 0.99, json.at("/int8").toString());
            assertTrue(json.at("/int8/model_bytes").asLong() < json.at("/float/model_bytes").asLong() / 3);
            assertTrue(json.at("/int8/latency_ms_batch1").asDouble() > 0);
            Path model = out.resolve("model.q8");
            assertEquals(Files.size(model), json.at("/int8/model_bytes").asLong());

            Run inspect = run(List.of("inspect", model.toString()));
            assertEquals(0, inspect.code, inspect.err);
            assertTrue(inspect.out.contains("input  [1, 28, 28]"), inspect.out);
            assertTrue(inspect.out.contains("output [10]"), inspect.out);

            Run eval = run(List.of("eval", model.toString(), "--dataset", "mnist", "--test-subset", "200"));
            assertEquals(0, eval.code, eval.err);
            assertTrue(eval.out.contains("accuracy " + Report.percent(json.at("/int8/accuracy").asDouble())), eval.out);
        } else {
            assertFalse(json.get("int8_missing").asText().isEmpty());
        }
        JsonNode conv1 = json.get("quantizers").get(1);
        assertEquals("conv1", conv1.get("layer").asText());
        assertTrue(conv1.get("sqnr_db").asDouble() > 20, "8-bit weights: SQNR " + conv1.get("sqnr_db"));

        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<img src=\"plots/confusion.png\""));

    }

    @Test
    void quantizeTakesAUsersNetworkAndIdxFiles(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("lenet.zip");
        ModelSerializer.writeModel(Models.lenet(7, new Adam(1e-3)), model.toFile(), false);
        Path mnist = DatasetInstaller.mnist().install();
        Path out = dir.resolve("run");
        Run r = run(List.of("quantize", model.toString(), "--format", "idx",
                "--train", mnist.resolve("train-images-idx3-ubyte") + "," + mnist.resolve("train-labels-idx1-ubyte"),
                "--test", mnist.resolve("t10k-images-idx3-ubyte") + "," + mnist.resolve("t10k-labels-idx1-ubyte"),
                "--output", out.toString(), "--train-subset", "500", "--test-subset", "100", "--batch-size", "50",
                "--epochs", "1", "--qat-epochs", "0", "--lr", "0.003"));
        assertEquals(0, r.code, r.err);
        JsonNode json = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertEquals("lenet.zip", json.get("model").asText());
        // chance is 10%; ten batches at --lr bring the untrained network well above it
        assertTrue(json.at("/float/accuracy").asDouble() > 0.4, "float accuracy " + json.at("/float/accuracy"));
        assertEquals(0, json.at("/qat/epochs").asInt(), "--qat-epochs 0: calibrated only");
        assertTrue(Files.size(out.resolve("report.html")) > 0);

        Run wrongFormat = run(List.of("quantize", model.toString(), "--format", "cifar",
                "--train", mnist.resolve("t10k-labels-idx1-ubyte").toString(),
                "--test", mnist.resolve("t10k-labels-idx1-ubyte").toString(), "--output", out.toString()));
        assertEquals(QatCli.FAILED, wrongFormat.code);
        assertTrue(wrongFormat.err.contains("3073-byte records"), wrongFormat.err);
        assertFalse(wrongFormat.err.contains("\tat "), wrongFormat.err);
    }

    @Test
    void badArgumentsAreUsageErrors() {
        for (List<String> args : List.of(
                List.of("mnist", "--weight-bits", "9"),
                List.of("mnist", "--activation-bits", "1"),
                List.of("mnist", "--epochs", "two"),
                List.of("mnist", "--batch-size", "0"),
                List.of("mnist", "--layer-bits", "conv1=12"),
                List.of("mnist", "--no-such-option"),
                List.of("cifar10", "--model", "resnet99"),
                List.of("quantize", "missing.zip", "--format", "idx", "--train", "a", "--test", "b"),
                List.of("eval", "missing.q8", "--dataset", "mnist"),
                List.of("eval", "missing.q8"),
                List.of("inspect"),
                List.of("no-such-command"))) {
            Run r = run(args);
            assertEquals(2, r.code, args + " -> " + r.err);
            assertFalse(r.err.contains("\tat "), "no stack trace: " + r.err);
            // picocli prints the usage, or for a mistyped command the nearest ones
            assertTrue(r.err.contains("Usage:") || r.err.contains("Did you mean"), args + " -> " + r.err);
        }
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : List.of("data", "mnist", "cifar10", "quantize", "eval", "inspect")) {
            Run r = run(List.of(command, "--help"));
            assertEquals(0, r.code, command);
            assertTrue(r.out.contains("Usage: qat " + command), r.out);
        }
        assertTrue(run(List.of("mnist", "--help")).out.contains("(default: 3)"), "per-command defaults are shown");
    }

    private static List<String> args(Path out, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("mnist", "--output", out.toString()));
        args.addAll(SMALL);
        args.addAll(List.of(more));
        return args;
    }

    private record Run(int code, String out, String err) {
    }

    private static Run run(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = QatCli.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }
}
