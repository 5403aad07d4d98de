package io.github.qat4j.examples.cli;

import io.github.qat4j.datasets.ImageSet;
import io.github.qat4j.datasets.Normalization;
import io.github.qat4j.datasets.TrainTest;
import io.github.qat4j.examples.DynamicRun;
import io.github.qat4j.examples.Net;
import io.github.qat4j.examples.Pipeline;
import io.github.qat4j.examples.PipelineOptions;
import io.github.qat4j.examples.Updaters;
import io.github.qat4j.examples.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code qat quantize MODEL --train ... --test ...}: the pipeline on a user's own float network and data. */
@Command(
        name = "quantize",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        defaultValueProvider = QuantizeCommand.Defaults.class,
        description = {
            "Quantize your own float network (a MultiLayerNetwork or ComputationGraph saved with DL4J's "
                    + "ModelSerializer, one image input, softmax output): prepare it, calibrate and fine-tune it on your "
                    + "training images, export the int8 model, evaluate it on your test images, and write results.json "
                    + "and report.html.",
            "Images come as IDX (two files: images, labels), CIFAR-style binary (label byte + pixels per record) "
                    + "or CSV (label, then pixels 0..255 in CHW order, per line). They are normalized as the network "
                    + "was trained: --normalization unit (pixel / 255, the default) or --mean/--std per channel.",
            "--epochs N first trains the float network N more epochs, at --lr with its own updater kind.",
            "--dynamic instead exports the float network (dense layers) with dynamic quantization: int8 weights, "
                    + "activation scales computed per image at run time, no calibration, no training; --train is then "
                    + "not needed."
        })
final class QuantizeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "The float network, a ModelSerializer zip.")
    Path model;

    @Option(
            names = {"-f", "--format"},
            required = true,
            description = "idx, cifar or csv.")
    ImageFiles format;

    @Option(
            names = "--train",
            split = ",",
            paramLabel = "FILE",
            description = "Calibration and fine-tuning images (idx: images,labels); required without --dynamic.")
    List<Path> train;

    @Option(
            names = "--test",
            required = true,
            split = ",",
            paramLabel = "FILE",
            description = "Test images, in the same format.")
    List<Path> test;

    @Option(
            names = "--shape",
            split = ",",
            paramLabel = "C,H,W",
            description = "Image shape (csv; cifar if not 3,32,32).")
    int[] shape;

    @Option(
            names = "--mean",
            split = ",",
            paramLabel = "M",
            description = "Per-channel mean in [0, 1] units, with --std.")
    double[] mean;

    @Option(
            names = "--std",
            split = ",",
            paramLabel = "S",
            description = "Per-channel standard deviation in [0, 1] units.")
    double[] std;

    @Option(
            names = "--dynamic",
            description = "Dynamic quantization of the float network (PyTorch's quantize_dynamic).")
    boolean dynamic;

    @Mixin
    PipelineOptions options;

    static final class Defaults extends MapDefaults {
        Defaults() {
            super(Map.of(
                    "--epochs",
                    "0",
                    "--qat-epochs",
                    "1",
                    "--batch-size",
                    "64",
                    "--lr",
                    "0.0001",
                    "--qat-lr",
                    "0.0001",
                    "--output",
                    "runs/quantize"));
        }
    }

    @Override
    public Integer call() throws Exception {
        options.validate();
        if (train == null && !dynamic) {
            throw options.usage("--train is required (except with --dynamic)");
        }
        if (dynamic && options.epochs > 0) {
            throw options.usage("--dynamic quantizes the network as it is; --epochs does not apply");
        }
        if (!Files.isRegularFile(model)) {
            throw options.usage("no model file " + model);
        }
        if (shape != null && (shape.length != 3 || shape[0] <= 0 || shape[1] <= 0 || shape[2] <= 0)) {
            throw options.usage("--shape takes three positive numbers C,H,W");
        }
        if ((mean == null) != (std == null)) {
            throw options.usage("--mean and --std go together");
        }
        for (List<Path> files : dynamic ? List.of(test) : List.of(train, test)) {
            for (Path f : files) {
                if (!Files.isRegularFile(f)) {
                    throw options.usage("no data file " + f);
                }
            }
        }
        ImageSet testImages = format.read(test, shape);
        Normalization normalization = mean == null ? Normalization.unitRange() : Normalization.standardize(mean, std);
        Net net = Net.load(model);
        if (dynamic) {
            ImageSet evaluated = options.testSubset == null
                    ? testImages
                    : testImages.first(Math.min(options.testSubset, testImages.size()));
            return DynamicRun.run(net, model.getFileName().toString(), evaluated, normalization, options.output);
        }
        ImageSet trainImages = format.read(train, shape);
        String modelId = model.toAbsolutePath() + " " + Files.size(model) + " bytes, modified "
                + Files.getLastModifiedTime(model);
        Workload work = new Workload(
                "custom",
                model.getFileName().toString(),
                modelId,
                new TrainTest(trainImages, testImages),
                normalization,
                Workload.Augmentation.NONE,
                (seed, lr, iterations) -> net.withLearningRate(lr),
                Updaters::adamLinearDecay);
        return new Pipeline(work, options).run();
    }
}
