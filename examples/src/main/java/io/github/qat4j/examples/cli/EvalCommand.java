package io.github.qat4j.examples.cli;

import io.github.qat4j.datasets.ImageSet;
import io.github.qat4j.examples.Int8Evaluation;
import io.github.qat4j.examples.Report;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code qat eval MODEL --dataset mnist|cifar10}: an exported int8 model's accuracy, with the runtime alone. */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description = {
            "Accuracy, size and single-image latency of an exported int8 model on a test set, "
                    + "computed with the int8 runtime alone (no DL4J).",
            "Inputs are normalized as the qat pipelines train: MNIST pixels / 255, CIFAR-10 standardized "
                    + "with the training set's mean and std per channel."
        })
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(
            index = "0",
            paramLabel = "MODEL",
            description = "An int8 model file (as written by qat mnist, cifar10 or quantize).")
    Path model;

    @Option(
            names = {"-d", "--dataset"},
            required = true,
            description = "mnist or cifar10.")
    DatasetChoice dataset;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description = "Data root (default: $QAT4J_DATA_DIR or ~/.qat4j/datasets).")
    Path dataDir;

    @Option(
            names = "--test-subset",
            paramLabel = "N",
            hidden = true,
            description = "Evaluate on the first N test images.")
    Integer testSubset;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(model)) {
            throw new ParameterException(spec.commandLine(), "no model file " + model);
        }
        ImageSet test = dataset.load(dataDir).test();
        if (testSubset != null) {
            test = test.first(Math.min(testSubset, test.size()));
        }
        Int8Evaluation e = Int8Evaluation.of(model, test, dataset.normalization());
        spec.commandLine()
                .getOut()
                .printf(
                        Locale.ROOT,
                        "%s on %s: accuracy %s on %d test images, %s, %s per image (batch 1)%n",
                        model,
                        dataset,
                        Report.percent(e.predictions().accuracy()),
                        test.size(),
                        Report.bytes(e.modelBytes()),
                        Report.millis(e.latencyMillisBatch1()));
        return 0;
    }
}
