package io.github.qat4j.examples;

import io.github.qat4j.core.quant.QuantSpec;
import io.github.qat4j.layers.prepare.QatConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The options every pipeline command shares. Defaults differ per data set, so they come from each
 * command's {@code defaultValueProvider} and show in its {@code --help}.
 */
public final class PipelineOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(
            names = {"-e", "--epochs"},
            paramLabel = "N",
            description = "Float training epochs (default: ${DEFAULT-VALUE}).")
    public int epochs;

    @Option(
            names = {"-q", "--qat-epochs"},
            paramLabel = "N",
            description =
                    "QAT fine-tuning epochs; 0 gives post-training quantization, calibrated only (default: ${DEFAULT-VALUE}).")
    int qatEpochs;

    @Option(
            names = {"-b", "--batch-size"},
            paramLabel = "N",
            description = "Images per batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", paramLabel = "RATE", description = "Float learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(
            names = "--qat-lr",
            paramLabel = "RATE",
            description = "QAT fine-tuning learning rate of the weights (default: ${DEFAULT-VALUE}).")
    double qatLearningRate;

    @Option(
            names = "--label-smoothing",
            paramLabel = "EPSILON",
            defaultValue = "0",
            description = "Training labels become 1 - EPSILON + EPSILON/K for the true class and EPSILON/K for "
                    + "the others, K classes; 0 for one-hot (default: ${DEFAULT-VALUE}).")
    double labelSmoothing;

    @Option(
            names = {"-s", "--seed"},
            paramLabel = "N",
            defaultValue = "42",
            description = "Seed of initialisation, shuffling and augmentation (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = {"-w", "--weight-bits"},
            paramLabel = "BITS",
            defaultValue = "8",
            description = "Weight bits, 2 to 8, per output channel, symmetric (default: ${DEFAULT-VALUE}).")
    int weightBits;

    @Option(
            names = {"-a", "--activation-bits"},
            paramLabel = "BITS",
            defaultValue = "8",
            description = "Activation bits, 2 to 8, per tensor, asymmetric (default: ${DEFAULT-VALUE}).")
    int activationBits;

    @Option(
            names = "--layer-bits",
            paramLabel = "LAYER=BITS",
            description =
                    "Weight bits of one layer, by name; repeatable (e.g. --layer-bits conv1=8 --layer-bits dense=4).")
    Map<String, Integer> layerBits = new LinkedHashMap<>();

    @Option(
            names = "--per-tensor",
            paramLabel = "LAYER",
            split = ",",
            description = "Layers whose weights get one scale instead of one per output channel.")
    List<String> perTensor = new ArrayList<>();

    @Option(names = "--skip", paramLabel = "LAYER", split = ",", description = "Layers to leave in float.")
    List<String> skip = new ArrayList<>();

    @Option(
            names = "--size-budget",
            paramLabel = "BYTES",
            description = "Choose each layer's weight bits (2 to 8) so that the int8 model fits in BYTES: "
                    + "after float training, measure each layer's sensitivity and solve the knapsack; overrides "
                    + "--layer-bits and --weight-bits for the layers it chooses.")
    Long sizeBudget;

    @Option(
            names = "--observe-iterations",
            paramLabel = "N",
            defaultValue = "200",
            description =
                    "QAT iterations during which activation ranges are observed (EMA min/max) before their scales are learned (default: ${DEFAULT-VALUE}).")
    int observeIterations;

    @Option(
            names = "--spark-master",
            paramLabel = "URL",
            description = "Run the QAT fine-tuning on Spark with DL4J's parameter averaging: local[N] for N workers in "
                    + "this JVM, spark://HOST:PORT for a cluster. Under spark-submit, which sets the master, Spark is used "
                    + "without this option.")
    String sparkMaster;

    @Option(
            names = "--spark-float",
            description = "On Spark, train the float network there too (default: in this JVM).")
    boolean sparkFloat;

    @Option(
            names = "--averaging-frequency",
            paramLabel = "N",
            defaultValue = "5",
            description =
                    "On Spark: batches each worker trains between two parameter averagings (default: ${DEFAULT-VALUE}).")
    int averagingFrequency;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "DIR",
            description =
                    "Output directory: checkpoints, int8 model, results.json, report.html (default: ${DEFAULT-VALUE}).")
    public Path output;

    @Option(
            names = "--resume",
            description = "Continue an interrupted run from the last checkpoints in the output directory.")
    boolean resume;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description = "Data root (default: $QAT4J_DATA_DIR or ~/.qat4j/datasets).")
    public Path dataDir;

    @Option(
            names = "--train-subset",
            paramLabel = "N",
            description = "Train on N images drawn with the seed instead of the whole training set.")
    Integer trainSubset;

    @Option(
            names = "--test-subset",
            paramLabel = "N",
            description = "Evaluate on the first N test images instead of all of them.")
    public Integer testSubset;

    @Option(
            names = "--stop-after-epochs",
            paramLabel = "N",
            hidden = true,
            defaultValue = "-1",
            description = "Stop after N epochs in all, as Ctrl-C after a checkpoint would.")
    int stopAfterEpochs;

    /** Checks the values picocli cannot: usage errors, exit code 2. */
    public void validate() {
        positive("--batch-size", batchSize);
        if (epochs < 0 || qatEpochs < 0) {
            throw usage("epochs cannot be negative");
        }
        if (!(learningRate > 0) || !(qatLearningRate > 0)) {
            throw usage("learning rates must be positive");
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw usage("--label-smoothing must be at least 0 and below 1, got " + labelSmoothing);
        }
        bits("--weight-bits", weightBits);
        bits("--activation-bits", activationBits);
        layerBits.forEach((layer, bits) -> bits("--layer-bits " + layer, bits));
        if (observeIterations < 0) {
            throw usage("--observe-iterations cannot be negative");
        }
        if (sizeBudget != null && sizeBudget <= 0) {
            throw usage("--size-budget must be positive, got " + sizeBudget);
        }
        positive("--averaging-frequency", averagingFrequency);
        if (sparkFloat && spark() == null) {
            throw usage("--spark-float needs --spark-master (or spark-submit)");
        }
        if (trainSubset != null) {
            positive("--train-subset", trainSubset);
        }
        if (testSubset != null) {
            positive("--test-subset", testSubset);
        }
    }

    public ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    QatConfig qatConfig() {
        QatConfig config = new QatConfig()
                .weightBits(weightBits)
                .activationBits(activationBits)
                .observeIterations(observeIterations);
        layerBits.forEach(config::weightBits);
        perTensor.forEach(config::perTensorWeights);
        skip.forEach(config::skip);
        return config;
    }

    /** The Spark master the training runs on ({@code --spark-master}, or spark-submit's), or null for this JVM. */
    String spark() {
        return sparkMaster != null
                ? sparkMaster
                : SparkTraining.underSparkSubmit() ? System.getProperty("spark.master") : null;
    }

    /** What the float stage depends on: a float checkpoint is reused only for the same values. */
    String floatSettings(String dataset, String model) {
        return String.format(
                        Locale.ROOT,
                        "dataset=%s model=%s epochs=%d batch=%d lr=%s seed=%d train=%s",
                        dataset,
                        model,
                        epochs,
                        batchSize,
                        learningRate,
                        seed,
                        trainSubset == null ? "all" : trainSubset)
                + (labelSmoothing > 0 ? " smoothing=" + labelSmoothing : "")
                + (sparkFloat ? sparkSettings() : "");
    }

    private String sparkSettings() {
        return " spark=" + spark() + " averaging=" + averagingFrequency;
    }

    /** The data set named in a checkpoint's settings (as {@link #floatSettings} writes them), if they name one. */
    public static Optional<String> dataset(String settings) {
        Matcher m = Pattern.compile("(?:^| )dataset=(\\S+)").matcher(settings);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** What the QAT stage depends on, the float stage's settings included. */
    String qatSettings(String dataset, String model) {
        return floatSettings(dataset, model)
                + String.format(
                        Locale.ROOT,
                        " qat-epochs=%d qat-lr=%s w=%d a=%d layer-bits=%s per-tensor=%s skip=%s observe=%d size-budget=%s",
                        qatEpochs,
                        qatLearningRate,
                        weightBits,
                        activationBits,
                        new TreeMap<>(layerBits),
                        perTensor.stream().sorted().toList(),
                        skip.stream().sorted().toList(),
                        observeIterations,
                        sizeBudget == null ? "none" : sizeBudget)
                + (spark() != null ? sparkSettings() : "");
    }

    private void positive(String name, int value) {
        if (value <= 0) {
            throw usage(name + " must be positive, got " + value);
        }
    }

    private void bits(String name, int value) {
        if (value < QuantSpec.MIN_BITS || value > QuantSpec.MAX_BITS) {
            throw usage(name + " must be in [" + QuantSpec.MIN_BITS + ", " + QuantSpec.MAX_BITS
                    + "] for an int8 export, got " + value);
        }
    }
}
