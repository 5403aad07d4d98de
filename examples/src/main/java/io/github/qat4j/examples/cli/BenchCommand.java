package io.github.qat4j.examples.cli;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.datasets.ImageSet;
import io.github.qat4j.datasets.ImageSetIterator;
import io.github.qat4j.datasets.Normalization;
import io.github.qat4j.datasets.TrainTest;
import io.github.qat4j.examples.Latency;
import io.github.qat4j.examples.Models;
import io.github.qat4j.examples.Net;
import io.github.qat4j.layers.OneDnnHelpers;
import io.github.qat4j.layers.prepare.QatConfig;
import java.io.PrintWriter;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.FutureTask;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.nd4j.shade.jackson.databind.node.ArrayNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code qat bench}: one model, five engines, one JVM, one thread count. The models are initialised
 * with a seed and calibrated on real images, not trained: latency does not depend on what the weights
 * learned, and the benchmark then needs no training run first.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Time the same model as DL4J float output(), qat4j int8 (Vector API and scalar kernels), "
                    + "ONNX Runtime float and ONNX Runtime int8 (the QDQ export, graph optimizations on), at each batch "
                    + "size, with the same number of threads for every engine. Prints median latency, images per "
                    + "second and the speed-up over DL4J float, and writes the same as JSON."
        })
final class BenchCommand implements Callable<Integer> {
    enum Model {
        lenet5(DatasetChoice.mnist),
        resnet8(DatasetChoice.cifar10),
        resnet20(DatasetChoice.cifar10);

        final DatasetChoice dataset;

        Model(DatasetChoice dataset) {
            this.dataset = dataset;
        }

        Net create(long seed) {
            Adam updater = new Adam(1e-3);
            return switch (this) {
                case lenet5 -> Net.of(Models.lenet(seed, updater));
                case resnet8 -> Net.of(Models.resnet(1, 16, seed, updater));
                case resnet20 -> Net.of(Models.resnet(3, 16, seed, updater));
            };
        }
    }

    static final String DL4J = "dl4j-float";

    /** Turns the float and the QAT network take in the training measure. */
    private static final int TRAINING_ROUNDS = 5;

    /** Calibration images per model: enough for stable activation ranges. */
    private static final int CALIBRATION_IMAGES = 512;

    @Spec
    CommandSpec spec;

    @Option(
            names = {"-m", "--models"},
            split = ",",
            paramLabel = "MODEL",
            defaultValue = "lenet5,resnet8",
            description = "Models to time: lenet5 (MNIST), resnet8, resnet20 (CIFAR-10) (default: ${DEFAULT-VALUE}).")
    List<Model> models;

    @Option(
            names = {"-b", "--batch-sizes"},
            split = ",",
            paramLabel = "N",
            defaultValue = "1,8,64",
            description = "Batch sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> batchSizes;

    @Option(
            names = {"-t", "--threads"},
            paramLabel = "N",
            description = "Threads for every engine: ND4J's OpenMP and BLAS, the int8 runtime's pool, ONNX Runtime's "
                    + "intra-op pool (default: the available processors, ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(
            names = "--seconds",
            paramLabel = "S",
            defaultValue = "2",
            description =
                    "Measuring time per engine and batch size, after as long again of warm-up (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(
            names = "--training",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description = "Also time DL4J fit() of the float and the QAT network, one batch of --fit-batch real "
                    + "training images per step, the two taking turns in 5 blocks each (--seconds of warm-up, "
                    + "then 2 x --seconds of steps per network) (default: ${DEFAULT-VALUE}).")
    boolean training;

    @Option(
            names = "--fit-batch",
            paramLabel = "N",
            defaultValue = "64",
            description = "Batch size of the timed training steps (default: ${DEFAULT-VALUE}).")
    int fitBatch;

    @Option(
            names = "--other-vector-shapes",
            description = "Before timing, run Vector API operations on int, long, short and byte vectors of every "
                    + "shape, as another library in the same JVM would: the int8 runtime's speed in such a JVM "
                    + "(JIT profiles are shared; BENCHMARKS.md, section 11).")
    boolean otherVectorShapes;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "DIR",
            defaultValue = "runs/bench",
            description = "Where the exported models and bench.json go (default: ${DEFAULT-VALUE}).")
    Path output;

    @Option(
            names = {"-s", "--seed"},
            paramLabel = "N",
            defaultValue = "42",
            description = "Seed of the weights and the calibration sample (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description = "Data root (default: $QAT4J_DATA_DIR or ~/.qat4j/datasets).")
    Path dataDir;

    /** The int8 runtime's kernels, for the JSON. */
    private String kernels;

    /** Multiply-accumulates per image of each model's forward pass (convolutions and dense layers). */
    private final Map<Model, Long> macsPerImage = new java.util.EnumMap<>(Model.class);

    /** One measurement: what the JSON holds per row. */
    record Result(String engine, String model, int batch, double medianMillis) {
        double imagesPerSecond() {
            return batch * 1000.0 / medianMillis;
        }
    }

    /**
     * One timed training step: {@code fit} on a batch, forward, backward and the updater.
     * {@code gflops} counts 3 forward passes per step (the forward, and the backward's gradients of the
     * inputs and of the weights), 2 FLOPs per multiply-accumulate, convolutions and dense layers only.
     */
    record TrainingResult(String model, String mode, int batch, double medianMillis, long macsPerImage) {
        double imagesPerSecond() {
            return batch * 1000.0 / medianMillis;
        }

        double gflops() {
            return 6.0 * macsPerImage * imagesPerSecond() / 1e9;
        }
    }

    /**
     * Runs the benchmark on a thread with a 64 MiB stack: here ONNX Runtime's initialisation crashed
     * the JVM (SIGSEGV, no message) on the main thread's default 1 MiB stack, and ran with 4 MiB.
     */
    @Override
    public Integer call() throws Exception {
        FutureTask<Integer> task = new FutureTask<>(this::run);
        Thread thread = new Thread(null, task, "qat-bench", 64L << 20);
        thread.start();
        try {
            return task.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    private Integer run() throws Exception {
        if (threads < 1 || !(seconds > 0) || fitBatch < 1 || batchSizes.stream().anyMatch(b -> b < 1)) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--threads, --seconds, --fit-batch and --batch-sizes must be positive");
        }
        Files.createDirectories(output);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
        PrintWriter out = spec.commandLine().getOut();
        out.printf(
                Locale.ROOT,
                "%s, %d cores, %d threads per engine, %s%n",
                System.getProperty("java.vm.name") + " " + Runtime.version(),
                Runtime.getRuntime().availableProcessors(),
                threads,
                cpu());
        out.println(OneDnnHelpers.status());
        if (otherVectorShapes) {
            long t0 = System.nanoTime();
            long sink = OtherVectorShapes.exercise();
            out.printf(
                    Locale.ROOT,
                    "ran other vector shapes for %.1f s first (checksum %d)%n",
                    (System.nanoTime() - t0) / 1e9,
                    sink);
        }
        List<Result> results = new ArrayList<>();
        List<TrainingResult> trainingResults = new ArrayList<>();
        ForkJoinPool pool = new ForkJoinPool(threads);
        try (OrtEnvironment env = OrtEnvironment.getEnvironment()) {
            for (Model model : models) {
                TrainTest data = model.dataset.load(dataDir);
                List<Engine> engines = engines(model, data.train(), env);
                float[] images = images(model, data.test());
                try {
                    results.addAll(measure(model, engines, images, pool, out));
                } finally {
                    for (Engine e : engines) {
                        e.close();
                    }
                }
                if (training) {
                    trainingResults.addAll(measureTraining(model, data.train(), out));
                }
            }
        } finally {
            pool.shutdown();
        }
        Path json = output.resolve("bench.json");
        write(results, trainingResults, json);
        out.printf(Locale.ROOT, "written: %s%n", json);
        return 0;
    }

    private List<Result> measure(Model model, List<Engine> engines, float[] images, ForkJoinPool pool, PrintWriter out)
            throws Exception {
        List<Result> results = new ArrayList<>();
        out.printf(
                Locale.ROOT,
                "%n%-8s %-18s %6s %12s %12s %10s%n",
                "model",
                "engine",
                "batch",
                "median ms",
                "images/s",
                "vs DL4J");
        for (int batch : batchSizes) {
            float[] x = new float[batch * imageSize(model)];
            for (int i = 0; i < x.length; i += images.length) {
                System.arraycopy(images, 0, x, i, Math.min(images.length, x.length - i));
            }
            double dl4j = Double.NaN;
            for (Engine engine : engines) {
                Runnable inference = engine.setup().prepare(x, batch);
                long nanos = (long) (seconds * 1e9);
                // Inside the pool, the int8 runtime's parallel batches use the pool's threads, no more.
                double millis = pool.submit(() -> Latency.medianMillis(inference, nanos, nanos))
                        .get();
                Result r = new Result(engine.name(), model.name(), batch, millis);
                results.add(r);
                dl4j = engine.name().equals(DL4J) ? millis : dl4j;
                out.printf(
                        Locale.ROOT,
                        "%-8s %-18s %6d %12.3f %12.1f %9.2fx%n",
                        model,
                        engine.name(),
                        batch,
                        millis,
                        r.imagesPerSecond(),
                        dl4j / millis);
                out.flush();
            }
            engines.forEach(e -> e.afterBatch().run());
        }
        return results;
    }

    /**
     * DL4J {@code fit} of the float network and of its QAT version (prepared, ranges calibrated on the
     * same images, scales in their learn stage as in fine-tuning), on one batch of real training images,
     * the two taking turns so that both see the same machine.
     */
    private List<TrainingResult> measureTraining(Model model, ImageSet train, PrintWriter out) {
        ImageSetIterator batches = ImageSetIterator.builder(train.sample(fitBatch, seed + 1))
                .batchSize(fitBatch)
                .normalization(model.dataset.normalization())
                .build();
        DataSet batch = batches.next();
        Net floatNet = model.create(seed);
        Net qat = model.create(seed).prepare(new QatConfig().observeIterations(0));
        batches.reset();
        qat.calibrate(batches, 1);
        out.printf(
                Locale.ROOT,
                "%n%-8s %-18s %6s %12s %12s %10s %10s%n",
                "model",
                "fit",
                "batch",
                "median ms",
                "images/s",
                "GFLOP/s",
                "vs float");
        List<TrainingResult> results = new ArrayList<>();
        long nanos = (long) (seconds * 1e9);
        double[] millis = Latency.medianMillisTakingTurns(
                List.of(() -> floatNet.fit(batch), () -> qat.fit(batch)), nanos, 2 * nanos, TRAINING_ROUNDS);
        List<String> modes = List.of("float", "qat");
        for (int i = 0; i < modes.size(); i++) {
            TrainingResult r =
                    new TrainingResult(model.name(), modes.get(i), fitBatch, millis[i], macsPerImage.get(model));
            results.add(r);
            out.printf(
                    Locale.ROOT,
                    "%-8s %-18s %6d %12.2f %12.1f %10.1f %9.2fx%n",
                    model,
                    modes.get(i),
                    fitBatch,
                    millis[i],
                    r.imagesPerSecond(),
                    r.gflops(),
                    millis[i] / millis[0]);
        }
        out.flush();
        return results;
    }

    private List<Engine> engines(Model model, ImageSet train, OrtEnvironment env) throws Exception {
        Net floatNet = model.create(seed);
        Net qat = floatNet.prepare(new QatConfig());
        ImageSet calibration = train.sample(CALIBRATION_IMAGES, seed);
        Normalization normalization = model.dataset.normalization();
        qat.calibrate(
                ImageSetIterator.builder(calibration)
                        .batchSize(64)
                        .normalization(normalization)
                        .build(),
                CALIBRATION_IMAGES / 64);
        Path int8File = output.resolve(model + ".q8");
        Int8Model int8 = qat.exportInt8(model.dataset.inputType(), Net.inputPreprocessing(normalization), int8File);
        Path floatOnnx = output.resolve(model + "-float.onnx");
        Path qdqOnnx = output.resolve(model + "-qdq.onnx");
        floatNet.exportFloat(model.dataset.inputType(), floatOnnx);
        qat.exportQdq(model.dataset.inputType(), qdqOnnx);
        kernels = int8.kernels();
        macsPerImage.put(
                model,
                int8.ops().stream()
                        .mapToLong(io.github.qat4j.core.runtime.OpInfo::macs)
                        .sum());
        long[] shape = shape(model);
        return List.of(
                new Engine(DL4J, (x, batch) -> {
                    INDArray features = Nd4j.create(x, batchShape(shape, batch));
                    return () -> floatNet.output(features);
                }),
                new Engine("qat4j-int8", (x, batch) -> () -> int8.predictBatch(x, batch)),
                new Engine("qat4j-int8-scalar", scalar(int8)),
                ort(env, "onnxruntime-float", floatOnnx, shape),
                ort(env, "onnxruntime-int8", qdqOnnx, shape));
    }

    private static Engine.Setup scalar(Int8Model int8) {
        Int8Model scalar = int8.withScalarKernels();
        return (x, batch) -> () -> scalar.predictBatch(x, batch);
    }

    private Engine ort(OrtEnvironment env, String name, Path model, long[] shape) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        OrtSession session = env.createSession(model.toString(), options);
        String input = session.getInputNames().iterator().next();
        List<OnnxTensor> tensors = new ArrayList<>();
        return new Engine(
                name,
                (x, batch) -> {
                    OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), batchShape(shape, batch));
                    tensors.add(tensor);
                    return () -> {
                        try (OrtSession.Result r = session.run(Map.of(input, tensor))) {
                            r.get(0).getValue();
                        } catch (OrtException e) {
                            throw new IllegalStateException(name + " failed on " + model, e);
                        }
                    };
                },
                () -> {
                    tensors.forEach(OnnxTensor::close);
                    tensors.clear();
                },
                session,
                options);
    }

    /** Test images of the model's data set, normalized: real pixels, so ReLU sparsity is realistic. */
    private float[] images(Model model, ImageSet test) {
        int count = batchSizes.stream().mapToInt(Integer::intValue).max().orElse(1);
        return test.toFloat(0, Math.min(count, test.size()), model.dataset.normalization());
    }

    private static long[] shape(Model model) {
        var c = (InputType.InputTypeConvolutional) model.dataset.inputType();
        return new long[] {c.getChannels(), c.getHeight(), c.getWidth()};
    }

    private static int imageSize(Model model) {
        long[] s = shape(model);
        return (int) (s[0] * s[1] * s[2]);
    }

    private static long[] batchShape(long[] shape, int batch) {
        return new long[] {batch, shape[0], shape[1], shape[2]};
    }

    private void write(List<Result> results, List<TrainingResult> trainingResults, Path json)
            throws java.io.IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("jdk", Runtime.version().toString());
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("threads", threads);
        root.put("cpu", cpu());
        root.put("int8_kernels", kernels);
        root.put("nd4j_backend", OneDnnHelpers.status().toString());
        ArrayNode rows = root.putArray("results");
        for (Result r : results) {
            rows.addObject()
                    .put("engine", r.engine())
                    .put("model", r.model())
                    .put("batch", r.batch())
                    .put("median_ms", r.medianMillis())
                    .put("images_per_s", r.imagesPerSecond());
        }
        ArrayNode training = root.putArray("training");
        for (TrainingResult r : trainingResults) {
            training.addObject()
                    .put("model", r.model())
                    .put("mode", r.mode())
                    .put("batch", r.batch())
                    .put("median_ms", r.medianMillis())
                    .put("images_per_s", r.imagesPerSecond())
                    .put("gflops", r.gflops());
        }
        mapper.enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), root);
    }

    /** The CPU model from /proc/cpuinfo, where there is one. */
    static String cpu() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst()
                    .orElse("unknown CPU");
        } catch (java.io.IOException e) {
            return "unknown CPU";
        }
    }

    /**
     * An engine bound to one model: {@code setup} gives the inference to time for a batch, {@code
     * afterBatch} frees what that setup allocated, {@code resources} close with the engine.
     */
    private record Engine(String name, Setup setup, Runnable afterBatch, AutoCloseable... resources) {
        interface Setup {
            Runnable prepare(float[] x, int batch) throws Exception;
        }

        Engine(String name, Setup setup) {
            this(name, setup, () -> {});
        }

        void close() throws Exception {
            afterBatch.run();
            for (AutoCloseable r : resources) {
                r.close();
            }
        }
    }
}
