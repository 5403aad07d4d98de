package io.github.qat4j.examples.cli;

import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.datasets.ImageSet;
import io.github.qat4j.examples.Net;
import io.github.qat4j.layers.export.Int8Comparison;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code qat compare MODEL QAT --dataset D}: an int8 model against the QAT network it came from, tensor by tensor. */
@Command(
        name = "compare",
        mixinStandardHelpOptions = true,
        description = {
            "Run an exported int8 model and the QAT network it was exported from on the first test images, "
                    + "and print, per op, how far each quantized tensor of the runtime is from the fake-quantized "
                    + "activation it stands for, in LSBs (steps of the tensor's scale), and how often the two give "
                    + "the same class.",
            "Each op is compared twice: run through the whole model, where a rounding decided the other way "
                    + "carries into every later op, and run alone on the QAT network's integers for its inputs, which "
                    + "checks that the op computes what its fake-quantized twin does.",
            "Exit code 1 when an op alone differs by more than --max-lsb."
        })
final class CompareCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "An int8 model file (model.q8 of a run).")
    Path model;

    @Parameters(
            index = "1",
            paramLabel = "QAT",
            description = "The QAT network it was exported from (qat.zip of a run).")
    Path qat;

    @Option(
            names = {"-d", "--dataset"},
            required = true,
            description = "mnist or cifar10: the test images to run.")
    DatasetChoice dataset;

    @Option(
            names = {"-n", "--images"},
            defaultValue = "1000",
            description = "Test images to compare on (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(
            names = "--max-lsb",
            defaultValue = "1",
            description = "The largest difference of an op alone that passes (default: ${DEFAULT-VALUE}).")
    int maxLsb;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description = "Data root (default: $QAT4J_DATA_DIR or ~/.qat4j/datasets).")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        for (Path p : new Path[] {model, qat}) {
            if (!Files.isRegularFile(p)) {
                throw new ParameterException(spec.commandLine(), "no file " + p);
            }
        }
        if (images < 1) {
            throw new ParameterException(spec.commandLine(), "--images must be at least 1, got " + images);
        }
        ImageSet test = dataset.load(dataDir).test();
        int n = Math.min(images, test.size());
        var features = Nd4j.create(
                test.toFloat(0, n, dataset.normalization()),
                new long[] {n, test.channels(), test.height(), test.width()});
        Int8Comparison c;
        try {
            c = Net.load(qat).compareInt8(Int8Model.load(model), features);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), model + " and " + qat + ": " + e.getMessage());
        }
        spec.commandLine().getOut().printf("%s", c);
        return c.aloneMaxLsb() <= maxLsb ? 0 : QatCli.FAILED;
    }
}
