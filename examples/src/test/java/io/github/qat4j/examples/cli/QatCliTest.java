package io.github.qat4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.github.qat4j.core.runtime.InputPreprocessing;
import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.core.runtime.OpInfo;
import io.github.qat4j.datasets.DatasetInstaller;
import io.github.qat4j.examples.Checkpoint;
import io.github.qat4j.examples.Models;
import io.github.qat4j.examples.Pipeline;
import io.github.qat4j.examples.Report;
import io.github.qat4j.layers.export.OnnxExporter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/** The {@code qat} command line, in-process, on real MNIST (installed through the same installer as the user's). */
class QatCliTest {
    /**
     * A few seconds per stage on 2 cores; 80 float iterations take LeNet to about 95%. The rate is
     * lower than the default's because batches of 25 give noisier gradients than batches of 128.
     */
    private static final List<String> SMALL = List.of(
            "--train-subset",
            "1000",
            "--test-subset",
            "200",
            "--batch-size",
            "25",
            "--lr",
            "0.002",
            "--epochs",
            "2",
            "--qat-epochs",
            "1",
            "--observe-iterations",
            "4");

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
        for (String file : List.of(
                "qat.zip",
                "results.json",
                "report.html",
                "plots/loss.png",
                "plots/accuracy.png",
                "plots/sqnr.png",
                "plots/confusion.png",
                "plots/scales-00.png")) {
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
        assertEquals(
                4 * (20 * 25 + 20 + 50 * 20 * 25 + 50 + 800 * 500 + 500 + 500 * 10 + 10),
                json.at("/float/model_bytes").asLong(),
                "float32 LeNet-5 parameters");
        assertTrue(json.at("/float/train_seconds").asDouble() > 0);
        assertTrue(json.at("/qat/train_seconds").asDouble() > 0);
        assertTrue(json.at("/float/latency_ms_batch1").asDouble() > 0);
        assertEquals(2, json.at("/float/epochs").asInt());
        assertEquals(1, json.at("/qat/epochs").asInt());
        if (json.has("int8")) {
            // the runtime computes what the fake-quantized network does, up to rare off-by-one LSBs
            assertTrue(
                    json.at("/int8/agreement_with_qat").asDouble() >= 0.99,
                    json.at("/int8").toString());
            assertTrue(json.at("/int8/model_bytes").asLong()
                    < json.at("/float/model_bytes").asLong() / 3);
            assertTrue(json.at("/int8/latency_ms_batch1").asDouble() > 0);
            assertTrue(
                    json.at("/int8/tensors_vs_qat/alone_max_lsb").asInt() <= 1,
                    json.at("/int8").toString());
            assertEquals(json.at("/int8/tensors_vs_qat/ops/0/op").asText(), "conv1");
            Path model = out.resolve("model.q8");
            assertEquals(Files.size(model), json.at("/int8/model_bytes").asLong());

            Run inspect = run(List.of("inspect", model.toString()));
            assertEquals(0, inspect.code, inspect.err);
            assertTrue(inspect.out.contains("input  [1, 28, 28]"), inspect.out);
            assertTrue(inspect.out.contains("input preprocessing: pixel / 255"), inspect.out);
            assertTrue(inspect.out.contains("output [10], then softmax"), inspect.out);
            assertTrue(
                    inspect.out
                            .lines()
                            .anyMatch(l -> l.matches("\\s*0  conv1 +conv2d +\\[1, 28, 28] +\\[20, 24, 24] +500 +8 .*")),
                    inspect.out);
            for (OpInfo op : Int8Model.load(model).ops()) {
                assertTrue(
                        inspect.out
                                .lines()
                                .anyMatch(l -> l.contains(" " + op.name() + " ")
                                        && l.contains(op.outputShape().toString())),
                        op + "\n" + inspect.out);
            }

            Run eval = run(List.of("eval", model.toString(), "--dataset", "mnist", "--test-subset", "200"));
            assertEquals(0, eval.code, eval.err);
            assertTrue(
                    eval.out.contains("accuracy "
                            + Report.percent(json.at("/int8/accuracy").asDouble())),
                    eval.out);
        } else {
            assertFalse(json.get("int8_missing").asText().isEmpty());
        }
        JsonNode conv1 = json.get("quantizers").get(1);
        assertEquals("conv1", conv1.get("layer").asText());
        assertTrue(conv1.get("sqnr_db").asDouble() > 20, "8-bit weights: SQNR " + conv1.get("sqnr_db"));
        assertNoCollapsedScales(json);

        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<img src=\"plots/confusion.png\""));

        exportWritesOnnxThatOnnxRuntimeLoads(out, dir.resolve("export"));
    }

    @Test
    void benchTimesEveryEngineAtEveryBatchSizeAndWritesJson(@TempDir Path dir) throws Exception {
        Run bench = run(List.of(
                "bench",
                "--models",
                "lenet5",
                "--batch-sizes",
                "1,3",
                "--threads",
                "1",
                "--seconds",
                "0.05",
                "--output",
                dir.toString()));
        assertEquals(0, bench.code, bench.err);
        JsonNode json = new ObjectMapper().readTree(dir.resolve("bench.json").toFile());
        assertEquals(1, json.get("threads").asInt());
        assertTrue(json.get("cores").asInt() >= 1);
        assertFalse(json.get("jdk").asText().isEmpty());
        JsonNode results = json.get("results");
        assertEquals(10, results.size(), results.toString());
        Set<String> engines = new TreeSet<>();
        for (JsonNode r : results) {
            engines.add(r.get("engine").asText());
            assertEquals("lenet5", r.get("model").asText());
            double millis = r.get("median_ms").asDouble();
            assertTrue(millis > 0, r.toString());
            assertEquals(
                    r.get("batch").asInt() * 1000.0 / millis,
                    r.get("images_per_s").asDouble(),
                    1e-6);
        }
        assertEquals(
                Set.of("dl4j-float", "qat4j-int8", "qat4j-int8-scalar", "onnxruntime-float", "onnxruntime-int8"),
                engines);
        assertTrue(bench.out.contains("vs DL4J"), bench.out);
        assertTrue(Files.size(dir.resolve("lenet5-qdq.onnx")) > 0);
    }

    /** {@code qat export} of the run in {@code run}: the ONNX files load in ONNX Runtime with LeNet's shapes. */
    private static void exportWritesOnnxThatOnnxRuntimeLoads(Path run, Path dir) throws Exception {
        Path qdq = dir.resolve("lenet-qdq.onnx");
        Path floatOnnx = dir.resolve("lenet-float.onnx");
        Path int8 = dir.resolve("lenet.q8");
        Run export = run(List.of(
                "export",
                run.toString(),
                "--onnx",
                qdq.toString(),
                "--float-onnx",
                floatOnnx.toString(),
                "--int8",
                int8.toString()));
        assertEquals(0, export.code, export.err);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (Path onnx : List.of(qdq, floatOnnx)) {
            assertTrue(Files.size(onnx) > 0, onnx.toString());
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                    OrtSession session = env.createSession(onnx.toString(), options)) {
                TensorInfo in = (TensorInfo)
                        session.getInputInfo().get(OnnxExporter.INPUT).getInfo();
                TensorInfo out = (TensorInfo)
                        session.getOutputInfo().get(OnnxExporter.OUTPUT).getInfo();
                assertArrayEquals(new long[] {-1, 1, 28, 28}, in.getShape(), onnx.toString());
                assertArrayEquals(new long[] {-1, 10}, out.getShape(), onnx.toString());
            }
        }
        assertArrayEquals(new int[] {10}, Int8Model.load(int8).outputShape());
        assertEquals(InputPreprocessing.unitRange(), Int8Model.load(int8).inputPreprocessing());

        Run notACheckpoint = run(List.of("export", int8.toString(), "--onnx", qdq.toString()));
        assertEquals(2, notACheckpoint.code, notACheckpoint.err);
        assertTrue(notACheckpoint.err.contains("is not a checkpoint"), notACheckpoint.err);
        Run floatCheckpoint = run(List.of("export", run.resolve("float.zip").toString(), "--onnx", qdq.toString()));
        assertEquals(2, floatCheckpoint.code, floatCheckpoint.err);
        assertTrue(floatCheckpoint.err.contains("holds a float network"), floatCheckpoint.err);
    }

    /**
     * ResNet-20 end to end on real CIFAR-10: 19 convolutions with BatchNorm folded, residual adds with
     * 1x1 projection shortcuts, global average pooling. 128 images train it only a little, so the
     * test checks the path and the files, and that the int8 model computes what the QAT network does
     * on most images (barely trained logits are near ties, and 1-LSB differences compound over 19
     * layers; a trained network agrees far more often).
     */
    @Test
    void cifar10Resnet20ShortRunExportsAndEvaluatesInt8(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        Run r = run(List.of(
                "cifar10",
                "--model",
                "resnet20",
                "--width",
                "16",
                "--output",
                out.toString(),
                "--train-subset",
                "128",
                "--test-subset",
                "64",
                "--batch-size",
                "32",
                "--epochs",
                "1",
                "--qat-epochs",
                "1",
                "--observe-iterations",
                "2",
                "--weight-bits",
                "4",
                "--optimizer",
                "nesterov",
                "--lr",
                "0.05"));
        assertEquals(0, r.code, r.err);
        JsonNode json = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertEquals(4, json.get("weight_bits").asInt());
        assertNoCollapsedScales(json);
        assertEquals("cifar10", json.get("dataset").asText());
        assertEquals("resnet20-w16-nesterov", json.get("model").asText());
        assertTrue(json.has("int8"), json.toString());
        assertTrue(
                json.at("/int8/agreement_with_qat").asDouble() >= 0.5,
                json.at("/int8").toString());
        Int8Model model = Int8Model.load(out.resolve("model.q8"));
        assertArrayEquals(new int[] {3, 32, 32}, model.inputShape());
        long convs = model.ops().stream()
                .filter(op -> op.kind() == OpInfo.Kind.CONV2D)
                .count();
        assertEquals(19 + 2, convs, "19 3x3 convolutions and 2 projection shortcuts");
        assertEquals(
                9,
                model.ops().stream().filter(op -> op.kind() == OpInfo.Kind.ADD).count());
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("int8 against QAT, tensor by tensor"), "report.html lacks the comparison");

        // every op but the float logits, each within 1 LSB of its fake-quantized twin when run alone
        JsonNode tensors = json.at("/int8/tensors_vs_qat");
        assertEquals(64, tensors.get("images").asInt(), tensors.toString());
        assertEquals(model.ops().size() - 1, tensors.get("ops").size(), tensors.toString());
        assertTrue(tensors.get("alone_max_lsb").asInt() <= 1, tensors.toString());
        Run compare = run(List.of(
                "compare",
                out.resolve("model.q8").toString(),
                out.resolve("qat.zip").toString(),
                "--dataset",
                "cifar10",
                "--images",
                "16"));
        assertEquals(0, compare.code, compare.out + compare.err);
        assertTrue(compare.out.startsWith("int8 vs QAT on 16 images"), compare.out);
        for (OpInfo op : model.ops().subList(0, model.ops().size() - 1)) {
            assertTrue(
                    compare.out.lines().anyMatch(l -> l.startsWith(op.name() + " ")), op.name() + "\n" + compare.out);
        }
        Run mismatched = run(List.of(
                "compare",
                out.resolve("model.q8").toString(),
                out.resolve("float.zip").toString(),
                "--dataset",
                "cifar10",
                "--images",
                "4"));
        assertEquals(2, mismatched.code, mismatched.out + mismatched.err);
        assertTrue(mismatched.err.contains("float.zip"), mismatched.err);
    }

    @Test
    void quantizeTakesAUsersNetworkAndIdxFiles(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("lenet.zip");
        ModelSerializer.writeModel(Models.lenet(7, new Adam(1e-3)), model.toFile(), false);
        Path mnist = DatasetInstaller.mnist().install();
        Path out = dir.resolve("run");
        Run r = run(List.of(
                "quantize",
                model.toString(),
                "--format",
                "idx",
                "--train",
                mnist.resolve("train-images-idx3-ubyte") + "," + mnist.resolve("train-labels-idx1-ubyte"),
                "--test",
                mnist.resolve("t10k-images-idx3-ubyte") + "," + mnist.resolve("t10k-labels-idx1-ubyte"),
                "--output",
                out.toString(),
                "--train-subset",
                "500",
                "--test-subset",
                "100",
                "--batch-size",
                "50",
                "--epochs",
                "1",
                "--qat-epochs",
                "0",
                "--lr",
                "0.003"));
        assertEquals(0, r.code, r.err);
        JsonNode json = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertEquals("lenet.zip", json.get("model").asText());
        // chance is 10%; ten batches at --lr bring the untrained network well above it
        assertTrue(json.at("/float/accuracy").asDouble() > 0.4, "float accuracy " + json.at("/float/accuracy"));
        assertEquals(0, json.at("/qat/epochs").asInt(), "--qat-epochs 0: calibrated only");
        assertTrue(Files.size(out.resolve("report.html")) > 0);

        Run wrongFormat = run(List.of(
                "quantize",
                model.toString(),
                "--format",
                "cifar",
                "--train",
                mnist.resolve("t10k-labels-idx1-ubyte").toString(),
                "--test",
                mnist.resolve("t10k-labels-idx1-ubyte").toString(),
                "--output",
                out.toString()));
        assertEquals(QatCli.FAILED, wrongFormat.code);
        assertTrue(wrongFormat.err.contains("3073-byte records"), wrongFormat.err);
        assertFalse(wrongFormat.err.contains("\tat "), wrongFormat.err);
    }

    /**
     * The QAT fine-tuning on a local[2] Spark context: the observe stage on the driver, parameter
     * averaging on the workers, and the driver's network exported and checked like a single-JVM run's.
     */
    @Test
    void mnistQatFineTuningOnSparkExportsAnAgreeingInt8Model(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("spark");
        Run r = run(args(out, "--spark-master", "local[2]", "--averaging-frequency", "2"));
        assertEquals(0, r.code, r.err);
        assertTrue(
                Checkpoint.read(out.resolve("qat.zip"))
                        .orElseThrow()
                        .settings()
                        .endsWith(" spark=local[2] averaging=2"),
                "a Spark run's checkpoint is not reused for a single-JVM run");
        JsonNode json = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        double qatAccuracy = json.at("/qat/accuracy").asDouble();
        assertTrue(qatAccuracy > 0.5 && qatAccuracy <= 1, "QAT accuracy " + qatAccuracy);
        assertTrue(json.has("int8"), json.toString());
        assertTrue(
                json.at("/int8/agreement_with_qat").asDouble() >= 0.99,
                json.at("/int8").toString());
    }

    @Test
    void mnistSizeBudgetChoosesWidthsThatFitAndRecordsTheSensitivities(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        Run r = run(args(out, "--size-budget", "300000"));
        assertEquals(0, r.code, r.err);
        JsonNode json = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        JsonNode mixed = json.get("mixed_precision");
        assertEquals(300000, mixed.get("size_budget_bytes").asLong());
        assertEquals(1000, mixed.get("calibration_images").asInt());
        // the file the exporter wrote is the size the allocation predicted, within the budget
        assertEquals(
                Files.size(out.resolve("model.q8")),
                mixed.get("predicted_model_bytes").asLong());
        assertTrue(Files.size(out.resolve("model.q8")) <= 300000);
        List<String> layers = new java.util.ArrayList<>();
        for (JsonNode l : mixed.get("layers")) {
            layers.add(l.get("layer").asText());
            assertEquals(7, l.get("sensitivity").size(), l.toString());
            int chosen = l.get("chosen_bits").asInt();
            assertTrue(chosen >= 2 && chosen <= 8, l.toString());
        }
        assertEquals(List.of("conv1", "conv2", "dense", "output"), layers);
        // 400,000 dense weights at 6 bits take 300,000 bytes alone, the whole budget
        assertTrue(mixed.get("layers").get(2).get("chosen_bits").asInt() <= 5, mixed.toString());
        assertTrue(Files.size(out.resolve("plots/sensitivity.png")) > 0);
        assertTrue(Files.readString(out.resolve("report.html")).contains("<h2>Mixed precision</h2>"));

        // the frontier, predicted: from every layer at 2 bits up, each point smaller in loss than the one before
        long modelBytes = Files.size(out.resolve("model.q8"));
        long all2 = modelBytes;
        for (JsonNode l : mixed.get("layers")) {
            for (JsonNode p : l.get("sensitivity")) {
                all2 += p.get("bits").asInt() == 2 ? p.get("weight_bytes").asLong() : 0;
                all2 -= p.get("bits").asInt() == l.get("chosen_bits").asInt()
                        ? p.get("weight_bytes").asLong()
                        : 0;
            }
        }
        JsonNode frontier = mixed.get("frontier");
        assertEquals(all2, frontier.get(0).get("model_bytes").asLong());
        for (int i = 1; i < frontier.size(); i++) {
            assertTrue(
                    frontier.get(i).get("model_bytes").asLong()
                                    > frontier.get(i - 1).get("model_bytes").asLong()
                            && frontier.get(i).get("predicted_loss").asDouble()
                                    < frontier.get(i - 1).get("predicted_loss").asDouble(),
                    frontier.toString());
        }
        // measured before fine-tuning: every layer at each width, then the chosen widths, at the exported size
        List<String> measured = new java.util.ArrayList<>();
        for (JsonNode c : mixed.get("measured")) {
            measured.add(c.get("name").asText());
            assertTrue(c.get("loss").asDouble() > 0 && c.get("accuracy").asDouble() > 0, c.toString());
        }
        assertEquals(List.of("W8", "W7", "W6", "W5", "W4", "W3", "W2", "chosen"), measured);
        JsonNode chosen = mixed.get("measured").get(measured.size() - 1);
        assertEquals(modelBytes, chosen.get("model_bytes").asLong());
        for (JsonNode l : mixed.get("layers")) {
            assertEquals(
                    l.get("chosen_bits").asInt(),
                    chosen.get("widths").get(l.get("layer").asText()).asInt());
        }
        for (String plot : List.of("plots/frontier-loss.png", "plots/frontier-accuracy.png")) {
            assertTrue(Files.size(out.resolve(plot)) > 0, plot);
        }
        assertTrue(Files.readString(out.resolve("report.html")).contains("<h2>Size-accuracy frontier</h2>"));

        // 430,500 weights at 2 bits alone take 107,625 bytes; reuses the float checkpoint
        Run tooSmall = run(args(out, "--size-budget", "100000"));
        assertEquals(2, tooSmall.code, tooSmall.err);
        assertTrue(tooSmall.err.contains("below the smallest choice"), tooSmall.err);
    }

    @Test
    void quantizeDynamicTakesAFloatMlpWithoutTrainingImages(@TempDir Path dir) throws Exception {
        Path trained = dir.resolve("mlp");
        Run train = run(List.of(
                "mnist",
                "--model",
                "mlp",
                "--output",
                trained.toString(),
                "--train-subset",
                "2000",
                "--test-subset",
                "200",
                "--batch-size",
                "50",
                "--lr",
                "0.002",
                "--epochs",
                "1",
                "--qat-epochs",
                "0"));
        assertEquals(0, train.code, train.err);
        Path mnist = DatasetInstaller.mnist().install();
        String test = mnist.resolve("t10k-images-idx3-ubyte") + "," + mnist.resolve("t10k-labels-idx1-ubyte");
        Path out = dir.resolve("dynamic");
        Run r = run(List.of(
                "quantize",
                trained.resolve("float.zip").toString(),
                "--dynamic",
                "--format",
                "idx",
                "--test",
                test,
                "--test-subset",
                "500",
                "--output",
                out.toString()));
        assertEquals(0, r.code, r.err);
        JsonNode json = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertEquals("dynamic", json.get("quantization").asText());
        assertEquals(500, json.get("test_images").asInt());
        double floatAccuracy = json.at("/float/accuracy").asDouble();
        assertTrue(floatAccuracy > 0.7, "float accuracy " + floatAccuracy);
        assertTrue(json.at("/int8/agreement_with_float").asDouble() >= 0.98, json.toString());
        assertEquals(floatAccuracy, json.at("/int8/accuracy").asDouble(), 0.02);
        Int8Model model = Int8Model.load(out.resolve("model.q8"));
        assertEquals(
                3,
                model.ops().stream()
                        .filter(op -> op.kind() == OpInfo.Kind.DYNAMIC_DENSE)
                        .count());
        assertEquals(InputPreprocessing.unitRange(), model.inputPreprocessing());
        assertEquals(json.at("/int8/model_bytes").asLong(), Files.size(out.resolve("model.q8")));
        Run inspect = run(List.of("inspect", out.resolve("model.q8").toString()));
        assertEquals(0, inspect.code, inspect.err);
        assertTrue(
                inspect.out.contains("dynamic: quantized per image") && inspect.out.contains("dynamic dense"),
                inspect.out);
        // the hidden layers' outputs are dynamic tensors, the last one's float
        assertTrue(
                inspect.out.lines().anyMatch(l -> l.matches("\\s*1  fc1 +dynamic dense .* dynamic +relu .*")),
                inspect.out);
        assertTrue(
                inspect.out.lines().anyMatch(l -> l.matches("\\s*3  output +dynamic dense .* float +none .*")),
                inspect.out);

        Path lenet = dir.resolve("lenet.zip");
        ModelSerializer.writeModel(Models.lenet(7, new Adam(1e-3)), lenet.toFile(), false);
        Run conv = run(List.of(
                "quantize",
                lenet.toString(),
                "--dynamic",
                "--format",
                "idx",
                "--test",
                test,
                "--output",
                dir.resolve("conv").toString()));
        assertEquals(QatCli.FAILED, conv.code);
        assertTrue(conv.err.contains("'conv1'") && conv.err.contains("ConvolutionLayer"), conv.err);
        assertFalse(conv.err.contains("\tat "), conv.err);
    }

    @Test
    void badArgumentsAreUsageErrors() {
        for (List<String> args : List.of(
                List.of("mnist", "--weight-bits", "9"),
                List.of("mnist", "--activation-bits", "1"),
                List.of("mnist", "--epochs", "two"),
                List.of("mnist", "--batch-size", "0"),
                List.of("mnist", "--spark-float"),
                List.of("mnist", "--spark-master", "local[2]", "--averaging-frequency", "0"),
                List.of("mnist", "--layer-bits", "conv1=12"),
                List.of("mnist", "--size-budget", "0"),
                List.of("mnist", "--no-such-option"),
                List.of("cifar10", "--model", "resnet99"),
                List.of("quantize", "missing.zip", "--format", "idx", "--train", "a", "--test", "b"),
                List.of("quantize", "missing.zip", "--format", "idx", "--test", "b"),
                List.of("quantize", "missing.zip", "--dynamic", "--epochs", "1", "--format", "idx", "--test", "b"),
                List.of("eval", "missing.q8", "--dataset", "mnist"),
                List.of("eval", "missing.q8"),
                List.of("inspect"),
                List.of("export", "no-such-run", "--onnx", "x.onnx"),
                List.of("export", "no-such-run"),
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
        for (String command :
                List.of("data", "mnist", "cifar10", "quantize", "eval", "compare", "inspect", "export", "bench")) {
            Run r = run(List.of(command, "--help"));
            assertEquals(0, r.code, command);
            assertTrue(r.out.contains("Usage: qat " + command), r.out);
        }
        assertTrue(run(List.of("mnist", "--help")).out.contains("(default: 6)"), "per-command defaults are shown");
    }

    /** No learned scale of a default run reaches the floor (W8A8 on MNIST, W4A8 on CIFAR-10 above). */
    private static void assertNoCollapsedScales(JsonNode json) {
        for (JsonNode q : json.get("quantizers")) {
            assertEquals(0, q.get("collapsed_scales").asInt(), q.toString());
        }
    }

    private static List<String> args(Path out, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("mnist", "--output", out.toString()));
        args.addAll(SMALL);
        args.addAll(List.of(more));
        return args;
    }

    private record Run(int code, String out, String err) {}

    private static Run run(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = QatCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }
}
