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

/** {@code qat mnist}: LeNet-5 (or an MLP) on MNIST, float then QAT then int8, with a report. */
@Command(
        name = "mnist",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        defaultValueProvider = MnistCommand.Defaults.class,
        description = {
            "Train LeNet-5 on MNIST (or reuse the float checkpoint in the output directory), "
                    + "prepare it for quantization-aware training, fine-tune it, export the int8 model and evaluate "
                    + "it with the runtime alone; write results.json and report.html.",
            "Layer names, for --layer-bits, --per-tensor and --skip: conv1, conv2, dense, output "
                    + "(--model mlp: fc1, fc2, output)."
        })
final class MnistCommand implements Callable<Integer> {
    enum Model {
        lenet5,
        mlp
    }

    @Option(
            names = {"-m", "--model"},
            defaultValue = "lenet5",
            description = "lenet5 or mlp (LeNet-300-100, all dense) (default: ${DEFAULT-VALUE}).")
    Model model;

    @Mixin
    PipelineOptions options;

    static final class Defaults extends MapDefaults {
        Defaults() {
            super(Map.of(
                    "--epochs",
                    "6",
                    "--qat-epochs",
                    "1",
                    "--batch-size",
                    "128",
                    "--lr",
                    "0.001",
                    "--qat-lr",
                    "0.0001",
                    "--output",
                    "runs/mnist"));
        }
    }

    @Override
    public Integer call() throws Exception {
        options.validate();
        DatasetChoice dataset = DatasetChoice.mnist;
        Workload work = new Workload(
                dataset.name(),
                model.name(),
                model.name(),
                dataset.load(options.dataDir),
                dataset.normalization(),
                Workload.Augmentation.SHIFT,
                (seed, lr, iterations) -> Net.of(
                        model == Model.mlp
                                ? Models.mlp(seed, Updaters.adamLinearDecay(lr, iterations))
                                : Models.lenet(seed, Updaters.adamLinearDecay(lr, iterations))),
                Updaters::adamLinearDecay);
        return new Pipeline(work, options).run();
    }
}
