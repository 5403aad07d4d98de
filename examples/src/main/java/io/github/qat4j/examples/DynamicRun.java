package io.github.qat4j.examples;

import io.github.qat4j.datasets.ImageSet;
import io.github.qat4j.datasets.Normalization;
import io.github.qat4j.layers.export.DynamicExporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * {@code qat quantize --dynamic}: the float network exported with dynamic quantization
 * ({@link DynamicExporter}: int8 weights, activation scales per image at run time), no calibration
 * and no training, then the float network and the int8 model measured on the test images.
 * Writes {@code model.q8} and {@code results.json} ({@code quantization: "dynamic"}).
 */
public final class DynamicRun {
    private DynamicRun() {}

    public static int run(Net net, String modelName, ImageSet test, Normalization normalization, Path out)
            throws IOException {
        if (!(net instanceof Net.Layers layers)) {
            throw new IllegalArgumentException(
                    "--dynamic takes a MultiLayerNetwork of dense layers; " + modelName + " is a ComputationGraph");
        }
        Files.createDirectories(out);
        Path modelFile = out.resolve("model.q8");
        Path tmp = out.resolve("model.q8.tmp");
        DynamicExporter.export(layers.model(), InputType.convolutional(test.height(), test.width(), test.channels()))
                .withInputPreprocessing(Net.inputPreprocessing(normalization))
                .save(tmp);
        Files.move(tmp, modelFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Evaluator evaluator = new Evaluator(test, normalization);
        Predictions floatPredictions = evaluator.predict(net, "float test");
        double floatLatency = evaluator.latencyMillisBatch1(net);
        long floatBytes = 4 * net.numParams();
        Int8Evaluation int8 = Int8Evaluation.of(modelFile, test, normalization);

        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("model", modelName);
        root.put("quantization", "dynamic");
        root.put("weight_bits", 8);
        root.put("activation_bits", 8);
        root.put("test_images", test.size());
        ObjectNode f = root.putObject("float");
        Results.number(f, "accuracy", floatPredictions.accuracy());
        f.put("model_bytes", floatBytes);
        Results.number(f, "latency_ms_batch1", floatLatency);
        ObjectNode i = root.putObject("int8");
        Results.number(i, "accuracy", int8.predictions().accuracy());
        Results.number(i, "agreement_with_float", int8.predictions().agreementWith(floatPredictions));
        i.put("model_bytes", int8.modelBytes());
        Results.number(i, "latency_ms_batch1", int8.latencyMillisBatch1());
        root.put("jdk", Runtime.version().toString());
        root.put("cores", Runtime.getRuntime().availableProcessors());
        Results.writeJson(out.resolve("results.json"), root);

        System.out.printf(Locale.ROOT, "%n%s dynamic W8A8 (no calibration), %d test images%n", modelName, test.size());
        System.out.printf(Locale.ROOT, "%-6s %9s %14s %12s%n", "", "accuracy", "size", "latency b=1");
        System.out.printf(
                Locale.ROOT,
                "%-6s %9s %14s %12s%n",
                "float",
                Report.percent(floatPredictions.accuracy()),
                Report.bytes(floatBytes),
                Report.millis(floatLatency));
        System.out.printf(
                Locale.ROOT,
                "%-6s %9s %14s %12s%n",
                "int8",
                Report.percent(int8.predictions().accuracy()),
                Report.bytes(int8.modelBytes()),
                Report.millis(int8.latencyMillisBatch1()));
        System.out.printf(
                Locale.ROOT,
                "int8 agrees with float on %s of the test images; %s, %s%n",
                Report.percent(int8.predictions().agreementWith(floatPredictions)),
                modelFile,
                out.resolve("results.json"));
        return 0;
    }
}
