package io.github.qat4j.examples;

import io.github.qat4j.core.runtime.InputPreprocessing;
import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.datasets.Normalization;
import io.github.qat4j.layers.analysis.QuantizationReport;
import io.github.qat4j.layers.analysis.Sensitivity;
import io.github.qat4j.layers.export.Int8Comparison;
import io.github.qat4j.layers.export.Int8Exporter;
import io.github.qat4j.layers.export.OnnxExporter;
import io.github.qat4j.layers.prepare.Qat;
import io.github.qat4j.layers.prepare.QatConfig;
import io.github.qat4j.spark.QatSpark;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * A DL4J network with one input and one output, either a {@link MultiLayerNetwork} or a
 * {@link ComputationGraph}: DL4J gives the two no common interface for output, feed-forward and
 * {@link Qat#prepare}, and the pipeline treats them alike.
 */
public sealed interface Net permits Net.Layers, Net.Graph {

    Model model();

    void fit(DataSet batch);

    /** Class probabilities, inference mode. */
    INDArray output(INDArray features);

    /** Per quantizer of a QAT network: bits, scales, clipping and SQNR on {@code features}. */
    QuantizationReport quantizationReport(INDArray features);

    /** {@link Int8Comparison} of this QAT network with {@code model}, exported from it, on {@code features}. */
    Int8Comparison compareInt8(Int8Model model, INDArray features);

    Net prepare(QatConfig config);

    /** {@link Sensitivity} of this QAT network's weight layers at {@link Sensitivity#WEIGHT_WIDTHS}. */
    Sensitivity sensitivity(INDArray features, int[] labels, int batchSize);

    /** {@link Sensitivity#measure} of this QAT network with the named layers at the given weight widths. */
    Sensitivity.Measurement measure(INDArray features, int[] labels, int batchSize, Map<String, Integer> widths);

    /** Exports this QAT network to the int8 format recording how its input is made from pixels, written to {@code file}. */
    Int8Model exportInt8(InputType input, InputPreprocessing preprocessing, Path file) throws IOException;

    /** The int8 file's record of {@code normalization}. */
    static InputPreprocessing inputPreprocessing(Normalization normalization) {
        return normalization.mean().length == 0
                ? InputPreprocessing.unitRange()
                : InputPreprocessing.standardize(normalization.mean(), normalization.std());
    }

    /** Writes this QAT network as ONNX with QuantizeLinear/DequantizeLinear pairs ({@link OnnxExporter#exportQdq}). */
    void exportQdq(InputType input, Path file) throws IOException;

    /** Writes this network as float ONNX, fake quantization left out ({@link OnnxExporter#exportFloat}). */
    void exportFloat(InputType input, Path file) throws IOException;

    void calibrate(DataSetIterator data, int batches);

    /** {@link QatSpark#observeOnDriver}: the whole observe stage now, before a Spark fit. */
    void observeOnDriver(DataSetIterator data, int batches);

    default Layer[] layers() {
        return model() instanceof MultiLayerNetwork m ? m.getLayers() : ((ComputationGraph) model()).getLayers();
    }

    default double score() {
        return model().score();
    }

    default long numParams() {
        return model().numParams();
    }

    default int iterationCount() {
        return model() instanceof MultiLayerNetwork m
                ? m.getIterationCount()
                : ((ComputationGraph) model()).getIterationCount();
    }

    /** Writes the network with its updater state, so that training resumes exactly. */
    default void save(Path file) throws IOException {
        ModelSerializer.writeModel(model(), file.toFile(), true);
    }

    /** Sets the learning rate of every layer, keeping each layer's kind of updater. */
    default Net withLearningRate(double learningRate) {
        if (model() instanceof MultiLayerNetwork m) {
            m.setLearningRate(learningRate);
        } else {
            ((ComputationGraph) model()).setLearningRate(learningRate);
        }
        return this;
    }

    /** Writes {@code model} to {@code file} and returns it. */
    private static Int8Model written(Int8Model model, Path file) throws IOException {
        model.save(file);
        return model;
    }

    static Net of(Model model) {
        if (model instanceof MultiLayerNetwork m) {
            return new Layers(m);
        }
        if (model instanceof ComputationGraph g) {
            return new Graph(g);
        }
        throw new IllegalArgumentException("not a MultiLayerNetwork or ComputationGraph: " + model.getClass());
    }

    /** Reads a {@code ModelSerializer} file of either kind. */
    static Net load(Path file) throws IOException {
        return isGraph(file)
                ? new Graph(ModelSerializer.restoreComputationGraph(file.toFile(), true))
                : new Layers(ModelSerializer.restoreMultiLayerNetwork(file.toFile(), true));
    }

    /** A graph configuration lists vertices; a multi-layer one does not. */
    private static boolean isGraph(Path file) throws IOException {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry entry = zip.getEntry(ModelSerializer.CONFIGURATION_JSON);
            if (entry == null) {
                throw new IOException(
                        file + " is not a DL4J ModelSerializer file (no " + ModelSerializer.CONFIGURATION_JSON + ")");
            }
            try (InputStream in = zip.getInputStream(entry)) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("\"vertices\"");
            }
        }
    }

    record Layers(MultiLayerNetwork model) implements Net {
        @Override
        public void fit(DataSet batch) {
            model.fit(batch);
        }

        @Override
        public INDArray output(INDArray features) {
            return model.output(features, false);
        }

        @Override
        public QuantizationReport quantizationReport(INDArray features) {
            return QuantizationReport.of(model, features);
        }

        @Override
        public Int8Comparison compareInt8(Int8Model int8, INDArray features) {
            return Int8Comparison.of(model, int8, features);
        }

        @Override
        public Net prepare(QatConfig config) {
            return new Layers(Qat.prepare(model, config));
        }

        @Override
        public Sensitivity sensitivity(INDArray features, int[] labels, int batchSize) {
            return Sensitivity.of(model, features, labels, batchSize, Sensitivity.WEIGHT_WIDTHS);
        }

        @Override
        public Sensitivity.Measurement measure(
                INDArray features, int[] labels, int batchSize, Map<String, Integer> widths) {
            return Sensitivity.measure(model, features, labels, batchSize, widths);
        }

        @Override
        public Int8Model exportInt8(InputType input, InputPreprocessing preprocessing, Path file) throws IOException {
            return written(Int8Exporter.export(model, input).withInputPreprocessing(preprocessing), file);
        }

        @Override
        public void exportQdq(InputType input, Path file) throws IOException {
            OnnxExporter.exportQdq(model, input, file);
        }

        @Override
        public void exportFloat(InputType input, Path file) throws IOException {
            OnnxExporter.exportFloat(model, input, file);
        }

        @Override
        public void calibrate(DataSetIterator data, int batches) {
            Qat.calibrate(model, data, batches);
        }

        @Override
        public void observeOnDriver(DataSetIterator data, int batches) {
            QatSpark.observeOnDriver(model, data, batches);
        }
    }

    record Graph(ComputationGraph model) implements Net {
        @Override
        public void fit(DataSet batch) {
            model.fit(batch);
        }

        @Override
        public INDArray output(INDArray features) {
            return model.outputSingle(false, features);
        }

        @Override
        public QuantizationReport quantizationReport(INDArray features) {
            return QuantizationReport.of(model, features);
        }

        @Override
        public Int8Comparison compareInt8(Int8Model int8, INDArray features) {
            return Int8Comparison.of(model, int8, features);
        }

        @Override
        public Net prepare(QatConfig config) {
            return new Graph(Qat.prepare(model, config));
        }

        @Override
        public Sensitivity sensitivity(INDArray features, int[] labels, int batchSize) {
            return Sensitivity.of(model, features, labels, batchSize, Sensitivity.WEIGHT_WIDTHS);
        }

        @Override
        public Sensitivity.Measurement measure(
                INDArray features, int[] labels, int batchSize, Map<String, Integer> widths) {
            return Sensitivity.measure(model, features, labels, batchSize, widths);
        }

        @Override
        public Int8Model exportInt8(InputType input, InputPreprocessing preprocessing, Path file) throws IOException {
            return written(Int8Exporter.export(model, input).withInputPreprocessing(preprocessing), file);
        }

        @Override
        public void exportQdq(InputType input, Path file) throws IOException {
            OnnxExporter.exportQdq(model, input, file);
        }

        @Override
        public void exportFloat(InputType input, Path file) throws IOException {
            OnnxExporter.exportFloat(model, input, file);
        }

        @Override
        public void calibrate(DataSetIterator data, int batches) {
            Qat.calibrate(model, data, batches);
        }

        @Override
        public void observeOnDriver(DataSetIterator data, int batches) {
            QatSpark.observeOnDriver(model, data, batches);
        }
    }
}
