package io.github.qat4j.examples;

import io.github.qat4j.datasets.ImageSet;
import io.github.qat4j.datasets.ImageSetIterator;
import io.github.qat4j.layers.QatWeightLayer;
import io.github.qat4j.layers.analysis.QuantizationReport;
import io.github.qat4j.layers.prepare.QatConfig;
import io.github.qat4j.spark.QatSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole path on one workload: train the float network (or reuse its checkpoint), prepare and
 * calibrate the QAT network, fine-tune it, export and measure the int8 model, write
 * {@code results.json} and {@code report.html}.
 */
public final class Pipeline {
    /** Exit code of a run stopped before its last epoch (the checkpoints hold what was done). */
    public static final int STOPPED = 3;

    private static final Logger log = LoggerFactory.getLogger(Pipeline.class);

    /** Training batches run in inference mode to set the activation ranges before fine-tuning. */
    private static final int CALIBRATION_BATCHES = 20;

    /** Test images of the batch the per-layer SQNR is measured on. */
    private static final int REPORT_IMAGES = 256;

    private final Workload work;
    private final PipelineOptions options;
    private final Path out;

    public Pipeline(Workload work, PipelineOptions options) {
        this.work = work;
        this.options = options;
        this.out = options.output;
    }

    /** @return 0 when every stage finished, {@link #STOPPED} when the epoch budget ran out first */
    public int run() throws IOException {
        Files.createDirectories(out);
        ImageSet train = options.trainSubset == null
                ? work.data().train()
                : work.data()
                        .train()
                        .sample(
                                Math.min(
                                        options.trainSubset, work.data().train().size()),
                                options.seed);
        ImageSet test = options.testSubset == null
                ? work.data().test()
                : work.data()
                        .test()
                        .first(Math.min(options.testSubset, work.data().test().size()));
        Evaluator evaluator = new Evaluator(test, work.normalization());
        EpochBudget budget = new EpochBudget(options.stopAfterEpochs);
        long batches = (train.size() + options.batchSize - 1) / options.batchSize;
        Supplier<DataSetIterator> trainData = () -> iterator(train);
        log.info(
                "{} {}: {} training and {} test images, batch {}, {} batches per epoch; output in {}",
                work.dataset(),
                work.model(),
                train.size(),
                test.size(),
                options.batchSize,
                batches,
                out.toAbsolutePath());

        try (SparkTraining spark = options.spark() == null
                ? null
                : new SparkTraining(options.sparkMaster, options.batchSize, options.averagingFrequency)) {
            return run(train, test, evaluator, budget, batches, trainData, spark);
        }
    }

    /** The stages, with {@code spark} null for a run in this JVM alone. */
    private int run(
            ImageSet train,
            ImageSet test,
            Evaluator evaluator,
            EpochBudget budget,
            long batches,
            Supplier<DataSetIterator> trainData,
            SparkTraining spark)
            throws IOException {
        Trainer.EpochFit floatFit = spark != null && options.sparkFloat ? spark : Trainer::inThisJvm;
        Trainer.EpochFit qatFit = spark != null ? spark : Trainer::inThisJvm;
        Path floatFile = out.resolve("float.zip");
        Checkpoint floatStart = startingPoint(
                floatFile,
                options.floatSettings(work.dataset(), work.modelId()),
                options.epochs,
                () -> work.floatModel().create(options.seed, options.learningRate, options.epochs * batches));
        Checkpoint floatDone = new Trainer("float", floatFile, trainData, batches, evaluator, budget, floatFit)
                .train(floatStart, options.epochs);
        if (floatDone.epochsDone() < options.epochs) {
            return stopped();
        }
        if (floatDone.epochsDone() == 0) {
            floatDone.write(floatFile);
        }

        MixedPrecision mixed =
                options.sizeBudget == null ? null : mixedPrecision(floatDone.net(), train, batches, options.sizeBudget);
        QatConfig config =
                mixed == null ? options.qatConfig() : mixed.allocation().applyTo(options.qatConfig());
        String qatSettings = options.qatSettings(work.dataset(), work.modelId())
                + (mixed == null ? "" : " widths=" + mixed.allocation().widths());
        Path qatFile = out.resolve("qat.zip");
        Checkpoint qatStart =
                startingPoint(qatFile, qatSettings, options.qatEpochs, () -> prepare(floatDone.net(), config, batches));
        if (qatStart.history().isEmpty()) {
            qatStart = calibrated(qatStart, train, evaluator, spark != null);
            qatStart.write(qatFile);
        }
        Checkpoint qatDone = new Trainer("QAT", qatFile, trainData, batches, evaluator, budget, qatFit)
                .train(qatStart, options.qatEpochs);
        if (qatDone.epochsDone() < options.qatEpochs) {
            return stopped();
        }

        Results results = measure(floatDone, qatDone, train, evaluator, mixed);
        results.writeJson(out.resolve("results.json"));
        Report.write(out, results, weightScales(qatDone.net()), test.classNames());
        System.out.print(summary(results));
        log.info("wrote {} and {}", out.resolve("results.json"), out.resolve("report.html"));
        return 0;
    }

    /**
     * Where a stage starts: its checkpoint when it was written with the same settings and is complete
     * (reused) or, with {@code --resume}, incomplete; otherwise a fresh network.
     */
    private Checkpoint startingPoint(Path file, String settings, int epochs, Supplier<Net> fresh) throws IOException {
        Optional<Checkpoint> saved = Checkpoint.read(file);
        if (saved.isPresent() && saved.get().settings().equals(settings)) {
            Checkpoint c = saved.get();
            if (c.epochsDone() >= epochs) {
                log.info("reusing {} ({} epochs, same settings)", file, c.epochsDone());
                return c;
            }
            if (options.resume) {
                log.info("resuming {} after epoch {} of {}", file, c.epochsDone(), epochs);
                return c;
            }
            log.info(
                    "{} stopped after epoch {} of {}; starting over (--resume continues it)",
                    file,
                    c.epochsDone(),
                    epochs);
        } else if (saved.isPresent() && options.resume) {
            throw options.usage("--resume: " + file + " was written with other settings; run with the same options, "
                    + "or without --resume to start over.\n  checkpoint: "
                    + saved.get().settings()
                    + "\n  this run:   " + settings);
        }
        return new Checkpoint(fresh.get(), settings, List.of());
    }

    private Net prepare(Net floatNet, QatConfig config, long batches) {
        return floatNet.prepare(
                config.updater(work.qatUpdater().updater(options.qatLearningRate, options.qatEpochs * batches)));
    }

    /** Widths per layer for the size budget, from the calibrated network at the configured widths. */
    private MixedPrecision mixedPrecision(Net floatNet, ImageSet train, long batches, long budget) throws IOException {
        Net configured = prepare(floatNet, options.qatConfig(), batches);
        configured.calibrate(iterator(train), CALIBRATION_BATCHES);
        try {
            return MixedPrecision.choose(configured, train, work.normalization(), options.seed, budget, out);
        } catch (IllegalArgumentException e) {
            throw options.usage("--size-budget: " + e.getMessage());
        }
    }

    /**
     * Sets the activation ranges on a few training batches, then records the test accuracy as QAT epoch 0.
     * For Spark the whole observe stage runs here on the driver ({@link QatSpark#observeOnDriver}: the
     * workers' observers would be averaged), on as many more batches as it has iterations.
     */
    private Checkpoint calibrated(Checkpoint prepared, ImageSet train, Evaluator evaluator, boolean onSpark) {
        long start = System.nanoTime();
        int calibration = CALIBRATION_BATCHES + (onSpark ? options.observeIterations : 0);
        if (onSpark) {
            prepared.net().observeOnDriver(iterator(train), calibration);
        } else {
            prepared.net().calibrate(iterator(train), calibration);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double accuracy =
                evaluator.predict(prepared.net(), "QAT calibrated test").accuracy();
        log.info(String.format(
                Locale.ROOT,
                "QAT network calibrated on up to %d batches: test accuracy %.2f%%",
                calibration,
                100 * accuracy));
        return new Checkpoint(
                prepared.net(),
                prepared.settings(),
                List.of(new EpochStats(0, Double.NaN, Double.NaN, accuracy, seconds)));
    }

    private Results measure(
            Checkpoint floatDone, Checkpoint qatDone, ImageSet train, Evaluator evaluator, MixedPrecision mixed)
            throws IOException {
        Net floatNet = floatDone.net();
        Net qatNet = qatDone.net();
        Predictions floatPredictions = evaluator.predict(floatNet, "float test");
        Predictions qatPredictions = evaluator.predict(qatNet, "QAT test");
        double floatLatency = evaluator.latencyMillisBatch1(floatNet);
        ImageSet test = evaluator.test();
        int n = Math.min(REPORT_IMAGES, test.size());
        INDArray sample = Nd4j.create(
                test.toFloat(0, n, work.normalization()), new long[] {n, test.channels(), test.height(), test.width()});
        QuantizationReport quantization = qatNet.quantizationReport(sample);
        for (QuantizationReport.Entry e : quantization.entries()) {
            if (e.collapsedScales() > 0) {
                log.warn(
                        "{} {}: {} learned scale(s) fell to the floor; those channels quantize to zero and output "
                                + "their bias alone (layer SQNR {} dB); a lower scale learning rate "
                                + "(QatConfig.scaleUpdater) makes this less likely",
                        e.layer(),
                        e.tensor(),
                        e.collapsedScales(),
                        String.format(Locale.ROOT, "%.1f", e.sqnrDb()));
            }
        }
        Int8Stage int8 = Int8Stage.run(qatNet, out.resolve("model.q8"), test, evaluator, sample);
        return new Results(
                work.dataset(),
                work.model(),
                options.weightBits,
                options.activationBits,
                train.size(),
                test.size(),
                new Results.Stage(floatDone.history()),
                new Results.Stage(qatDone.history()),
                qatDone.history().get(0).testAccuracy(),
                floatLatency,
                4 * floatNet.numParams(),
                int8,
                floatPredictions,
                qatPredictions,
                quantization,
                mixed);
    }

    private DataSetIterator iterator(ImageSet train) {
        DataSetIterator batches = work.augmentation()
                .apply(
                        ImageSetIterator.builder(train)
                                .batchSize(options.batchSize)
                                .shuffle(options.seed)
                                .normalization(work.normalization()),
                        options.seed)
                .build();
        if (options.labelSmoothing > 0) {
            batches.setPreProcessor(new LabelSmoothing(options.labelSmoothing));
        }
        return batches;
    }

    private static Map<String, float[]> weightScales(Net qat) {
        Map<String, float[]> scales = new LinkedHashMap<>();
        for (Layer l : qat.layers()) {
            if (l.conf().getLayer() instanceof QatWeightLayer) {
                scales.put(
                        l.conf().getLayer().getLayerName(),
                        l.getParam(QatWeightLayer.SCALE_KEY).toFloatVector());
            }
        }
        return scales;
    }

    private int stopped() {
        System.out.println("stopped after " + options.stopAfterEpochs + " epoch(s) as asked; the checkpoints in " + out
                + " hold the finished epochs: rerun with --resume to continue");
        return STOPPED;
    }

    /** The table printed at the end of a run. */
    static String summary(Results r) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"", "accuracy", "size", "train", "latency b=1"});
        rows.add(new String[] {
            "float",
            Report.percent(r.floatPredictions().accuracy()),
            Report.bytes(r.floatModelBytes()),
            Report.seconds(r.floatStage().trainSeconds()),
            Report.millis(r.floatLatencyMillis())
        });
        rows.add(new String[] {
            "QAT",
            Report.percent(r.qatPredictions().accuracy()),
            "",
            Report.seconds(r.qatStage().trainSeconds()),
            ""
        });
        if (r.int8().exported()) {
            Int8Evaluation e = r.int8().evaluation();
            rows.add(new String[] {
                "int8",
                Report.percent(e.predictions().accuracy()),
                Report.bytes(e.modelBytes()),
                "",
                Report.millis(e.latencyMillisBatch1())
            });
        }
        StringBuilder b = new StringBuilder(String.format(
                Locale.ROOT, "%n%s %s %s, %d test images%n", r.dataset(), r.model(), r.widths(), r.testImages()));
        for (String[] row : rows) {
            b.append(String.format(Locale.ROOT, "%-6s %9s %14s %8s %12s%n", (Object[]) row));
        }
        if (r.mixed() != null) {
            b.append(String.format(
                    Locale.ROOT,
                    "weight bits chosen for the size budget of %,d B: %s (predicted %,d B)%n",
                    r.mixed().budget(),
                    r.mixed().allocation().widths(),
                    r.mixed().predictedModelBytes()));
        }
        if (r.int8().exported()) {
            b.append(String.format(
                    Locale.ROOT,
                    "int8 agrees with QAT on %s of the test images; on %d of them each op "
                            + "is within %d LSB of its QAT twin alone, %d LSB through the model (qat compare)%n",
                    Report.percent(r.int8().evaluation().predictions().agreementWith(r.qatPredictions())),
                    r.int8().comparison().images(),
                    r.int8().comparison().aloneMaxLsb(),
                    r.int8().comparison().maxLsb()));
        } else {
            b.append("no int8 model: ").append(r.int8().missing()).append('\n');
        }
        return b.toString();
    }
}
