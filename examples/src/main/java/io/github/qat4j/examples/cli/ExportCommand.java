package io.github.qat4j.examples.cli;

import io.github.qat4j.core.runtime.InputPreprocessing;
import io.github.qat4j.examples.Checkpoint;
import io.github.qat4j.examples.Net;
import io.github.qat4j.examples.PipelineOptions;
import io.github.qat4j.examples.Report;
import io.github.qat4j.layers.FakeQuantLayer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.conf.inputs.InputType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code qat export RUN_DIR|CHECKPOINT --onnx FILE}: a QAT checkpoint as ONNX and, optionally, int8. */
@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Export a QAT checkpoint (the qat.zip of a run of qat mnist, cifar10 or quantize) to ONNX "
                    + "with QuantizeLinear/DequantizeLinear pairs (int8 weights per channel, uint8 activations), and "
                    + "optionally to float ONNX and to the int8 runtime's format.",
            "The input is NCHW with a free batch dimension; its shape is the checkpoint's data set's, or "
                    + "--input-shape."
        })
final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(
            index = "0",
            paramLabel = "RUN_DIR|CHECKPOINT",
            description = "A run's output directory (its qat.zip is exported) or a QAT checkpoint file.")
    Path source;

    @Option(names = "--onnx", required = true, paramLabel = "FILE", description = "The QDQ ONNX model to write.")
    Path onnx;

    @Option(
            names = "--float-onnx",
            paramLabel = "FILE",
            description = "Also write the network as float ONNX, fake quantization left out.")
    Path floatOnnx;

    @Option(names = "--int8", paramLabel = "FILE", description = "Also write the int8 model (as qat eval reads it).")
    Path int8;

    @Option(
            names = "--input-shape",
            split = ",",
            paramLabel = "C,H,W",
            description = "Image shape; needed for checkpoints of qat quantize (default: the checkpoint's data set's).")
    int[] inputShape;

    @Override
    public Integer call() throws Exception {
        if (inputShape != null
                && (inputShape.length != 3 || Arrays.stream(inputShape).anyMatch(d -> d <= 0))) {
            throw usage("--input-shape takes three positive numbers C,H,W");
        }
        Path file = Files.isDirectory(source) ? source.resolve("qat.zip") : source;
        if (!Files.isRegularFile(file)) {
            throw usage(Files.isDirectory(source) ? "no qat.zip in " + source : "no checkpoint file " + source);
        }
        Checkpoint checkpoint;
        try {
            checkpoint = Checkpoint.read(file).orElseThrow();
        } catch (IOException | IllegalStateException e) {
            // IllegalStateException: a ModelSerializer zip without the checkpoint's settings
            throw usage(file + " is not a checkpoint of qat mnist, cifar10 or quantize: " + e.getMessage());
        }
        if (Arrays.stream(checkpoint.net().layers()).noneMatch(l -> l.conf().getLayer() instanceof FakeQuantLayer)) {
            throw usage(file + " holds a float network, without quantizers: export the qat.zip of a run");
        }
        Optional<DatasetChoice> dataset = dataset(checkpoint.settings());
        InputType input = inputType(checkpoint.settings(), dataset);
        // A checkpoint of qat quantize does not say how its images were normalized.
        InputPreprocessing preprocessing =
                dataset.map(d -> Net.inputPreprocessing(d.normalization())).orElse(InputPreprocessing.NOT_RECORDED);

        PrintWriter out = spec.commandLine().getOut();
        checkpoint.net().exportQdq(input, createParent(onnx));
        out.printf(Locale.ROOT, "wrote %s (QDQ ONNX, %s)%n", onnx, Report.bytes(Files.size(onnx)));
        if (floatOnnx != null) {
            checkpoint.net().exportFloat(input, createParent(floatOnnx));
            out.printf(Locale.ROOT, "wrote %s (float ONNX, %s)%n", floatOnnx, Report.bytes(Files.size(floatOnnx)));
        }
        if (int8 != null) {
            checkpoint.net().exportInt8(input, preprocessing, createParent(int8));
            out.printf(
                    Locale.ROOT,
                    "wrote %s (int8, %s; input preprocessing %s)%n",
                    int8,
                    Report.bytes(Files.size(int8)),
                    preprocessing);
        }
        return 0;
    }

    /** The built-in data set the checkpoint's settings name, if they name one. */
    private static Optional<DatasetChoice> dataset(String settings) {
        Optional<String> dataset = PipelineOptions.dataset(settings);
        return Arrays.stream(DatasetChoice.values())
                .filter(d -> dataset.isPresent() && d.name().equals(dataset.get()))
                .findFirst();
    }

    private InputType inputType(String settings, Optional<DatasetChoice> known) {
        if (inputShape != null) {
            return InputType.convolutional(inputShape[1], inputShape[2], inputShape[0]);
        }
        return known.orElseThrow(() -> usage("the checkpoint was trained on "
                        + PipelineOptions.dataset(settings).orElse("unnamed")
                        + " data, of no known shape: give --input-shape C,H,W"))
                .inputType();
    }

    private static Path createParent(Path file) throws IOException {
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        return file;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
