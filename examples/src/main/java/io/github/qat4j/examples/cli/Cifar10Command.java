package io.github.qat4j.examples.cli;

import io.github.qat4j.examples.Models;
import io.github.qat4j.examples.Net;
import io.github.qat4j.examples.Pipeline;
import io.github.qat4j.examples.PipelineOptions;
import io.github.qat4j.examples.Updaters;
import io.github.qat4j.examples.Workload;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code qat cifar10}: a CIFAR ResNet (BatchNorm, residual adds) on CIFAR-10, float then QAT then int8. */
@Command(
        name = "cifar10",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        defaultValueProvider = Cifar10Command.Defaults.class,
        description = {
            "Train a CIFAR ResNet on CIFAR-10 with random crop and flip (or reuse the float checkpoint "
                    + "in the output directory), prepare it for quantization-aware training (BatchNorm folded), "
                    + "fine-tune it, export the int8 model and evaluate it with the runtime alone; write results.json "
                    + "and report.html.",
            "The defaults train ResNet-8 at width 32 for 10 float epochs and 1 QAT epoch on the 50,000 "
                    + "training images; examples/README.md gives their measured accuracy and time, and longer "
                    + "schedules."
        })
final class Cifar10Command implements Callable<Integer> {
    enum Model {
        resnet8(1),
        resnet20(3);

        final int blocksPerStage;

        Model(int blocksPerStage) {
            this.blocksPerStage = blocksPerStage;
        }
    }

    @Option(
            names = {"-m", "--model"},
            defaultValue = "resnet8",
            description = "resnet8 or resnet20 (He et al. 2016, 6n+2 layers) (default: ${DEFAULT-VALUE}).")
    Model model;

    @Option(
            names = "--width",
            defaultValue = "32",
            description = "Filters of the first stage; the second and third have twice and four times as many "
                    + "(He et al.: 16) (default: ${DEFAULT-VALUE}).")
    int width;

    enum Optimizer {
        adam,
        nesterov
    }

    @Option(
            names = "--optimizer",
            defaultValue = "adam",
            description = "Float training: adam, or nesterov (SGD with Nesterov momentum 0.9, e.g. with --lr 0.1); "
                    + "both decay the rate linearly to zero; QAT fine-tuning uses Adam (default: ${DEFAULT-VALUE}).")
    Optimizer optimizer;

    @Mixin
    PipelineOptions options;

    static final class Defaults extends MapDefaults {
        Defaults() {
            super(Map.of(
                    "--epochs",
                    "10",
                    "--qat-epochs",
                    "1",
                    "--batch-size",
                    "128",
                    "--lr",
                    "0.003",
                    "--qat-lr",
                    "0.0003",
                    "--label-smoothing",
                    "0.1",
                    "--output",
                    "runs/cifar10"));
        }
    }

    @Override
    public Integer call() throws Exception {
        options.validate();
        if (width < 1 || width > 512) {
            throw options.usage("--width: need 1 to 512 filters, got " + width);
        }
        DatasetChoice dataset = DatasetChoice.cifar10;
        String modelId = model.name() + "-w" + width + (optimizer == Optimizer.adam ? "" : "-" + optimizer);
        Workload work = new Workload(
                dataset.name(),
                modelId,
                modelId,
                dataset.load(options.dataDir),
                dataset.normalization(),
                Workload.Augmentation.CROP_FLIP,
                (seed, lr, iterations) -> Net.of(Models.resnet(
                        model.blocksPerStage,
                        width,
                        seed,
                        optimizer == Optimizer.adam
                                ? Updaters.adamLinearDecay(lr, iterations)
                                : Updaters.nesterovLinearDecay(lr, iterations))),
                Updaters::adamLinearDecay);
        return new Pipeline(work, options).run();
    }
}
