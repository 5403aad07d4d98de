package io.github.qat4j.examples;

import io.github.qat4j.layers.analysis.BitAllocation;
import io.github.qat4j.layers.analysis.QuantizationReport;
import io.github.qat4j.layers.analysis.Sensitivity;
import io.github.qat4j.layers.export.Int8Comparison;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.nd4j.shade.jackson.databind.node.ArrayNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * Everything a pipeline run measured, and its {@code results.json}: accuracies as fractions,
 * sizes in bytes, times in seconds (latencies in milliseconds, as their names say).
 *
 * @param mixed the {@code --size-budget} analysis and its chosen widths, or null without a budget; its
 *     {@code frontier} (predicted) and {@code measured} points (calibration images, no fine-tuning) go
 *     with the int8 section's test accuracy and bytes of the chosen widths after fine-tuning
 */
record Results(
        String dataset,
        String model,
        int weightBits,
        int activationBits,
        int trainImages,
        int testImages,
        Stage floatStage,
        Stage qatStage,
        double qatCalibratedAccuracy,
        double floatLatencyMillis,
        long floatModelBytes,
        Int8Stage int8,
        Predictions floatPredictions,
        Predictions qatPredictions,
        QuantizationReport quantization,
        MixedPrecision mixed) {

    /**
     * One training stage.
     *
     * @param history its epochs, in order (for QAT, epoch 0 is the calibrated network before fine-tuning)
     */
    record Stage(List<EpochStats> history) {
        double trainSeconds() {
            return history.stream().mapToDouble(EpochStats::seconds).sum();
        }

        int epochs() {
            return history.isEmpty() ? 0 : history.get(history.size() - 1).epoch();
        }
    }

    /** "W8A8", or for mixed widths "W" and each layer's weight bits, then the activation bits. */
    String widths() {
        if (mixed == null) {
            return "W" + weightBits + "A" + activationBits;
        }
        return "W"
                + String.join(
                        "/",
                        mixed.allocation().widths().values().stream()
                                .map(String::valueOf)
                                .toList()) + "A" + activationBits + " (mixed, layers "
                + String.join("/", mixed.allocation().widths().keySet()) + ")";
    }

    /** The predictions the confusion matrix shows: the int8 model's, or the QAT network's without one. */
    Predictions finalPredictions() {
        return int8.exported() ? int8.evaluation().predictions() : qatPredictions;
    }

    ObjectNode toJson() {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("dataset", dataset);
        root.put("model", model);
        root.put("weight_bits", weightBits);
        root.put("activation_bits", activationBits);
        root.put("train_images", trainImages);
        root.put("test_images", testImages);
        ObjectNode f = root.putObject("float");
        number(f, "accuracy", floatPredictions.accuracy());
        f.put("model_bytes", floatModelBytes);
        number(f, "train_seconds", floatStage.trainSeconds());
        f.put("epochs", floatStage.epochs());
        number(f, "latency_ms_batch1", floatLatencyMillis);
        ObjectNode q = root.putObject("qat");
        number(q, "accuracy", qatPredictions.accuracy());
        number(q, "calibrated_accuracy", qatCalibratedAccuracy);
        number(q, "agreement_with_float", qatPredictions.agreementWith(floatPredictions));
        number(q, "train_seconds", qatStage.trainSeconds());
        q.put("epochs", qatStage.epochs());
        if (int8.exported()) {
            Int8Evaluation e = int8.evaluation();
            ObjectNode i = root.putObject("int8");
            number(i, "accuracy", e.predictions().accuracy());
            number(i, "agreement_with_qat", e.predictions().agreementWith(qatPredictions));
            i.put("model_bytes", e.modelBytes());
            number(i, "latency_ms_batch1", e.latencyMillisBatch1());
            Int8Comparison c = int8.comparison();
            ObjectNode t = i.putObject("tensors_vs_qat");
            t.put("images", c.images());
            number(t, "same_class", c.sameClass());
            t.put("max_lsb", c.maxLsb());
            t.put("alone_max_lsb", c.aloneMaxLsb());
            ArrayNode ops = t.putArray("ops");
            for (Int8Comparison.Tensor x : c.tensors()) {
                ObjectNode o = ops.addObject();
                o.put("op", x.op());
                o.put("qat_activation", x.activation());
                o.put("values", x.values());
                o.put("max_lsb", x.maxLsb());
                number(o, "exact", x.exact());
                number(o, "over_one_lsb", x.overOneLsb());
                o.put("alone_max_lsb", x.aloneMaxLsb());
                number(o, "alone_exact", x.aloneExact());
            }
        } else {
            root.put("int8_missing", int8.missing());
        }
        ArrayNode layers = root.putArray("quantizers");
        for (QuantizationReport.Entry e : quantization.entries()) {
            ObjectNode l = layers.addObject();
            l.put("layer", e.layer());
            l.put("tensor", e.tensor());
            l.put("bits", e.bits());
            number(l, "scale_min", e.scaleMin());
            number(l, "scale_median", e.scaleMedian());
            number(l, "scale_max", e.scaleMax());
            number(l, "clipped_fraction", e.clippedFraction());
            number(l, "sqnr_db", e.sqnrDb());
            l.put("collapsed_scales", e.collapsedScales());
        }
        if (mixed != null) {
            mixedJson(root.putObject("mixed_precision"));
        }
        root.put("jdk", Runtime.version().toString());
        root.put("cores", Runtime.getRuntime().availableProcessors());
        return root;
    }

    /** The size budget, the predicted size, and per layer its sensitivity at each width and the chosen width. */
    private void mixedJson(ObjectNode m) {
        m.put("size_budget_bytes", mixed.budget());
        m.put("predicted_model_bytes", mixed.predictedModelBytes());
        m.put("configured_model_bytes", mixed.configuredModelBytes());
        m.put("calibration_images", mixed.calibrationImages());
        number(m, "seconds", mixed.seconds());
        number(m, "configured_loss", mixed.sensitivity().loss());
        number(m, "configured_accuracy", mixed.sensitivity().accuracy());
        number(m, "predicted_loss_increase", mixed.allocation().predictedLossIncrease());
        ArrayNode layers = m.putArray("layers");
        for (Sensitivity.LayerSensitivity l : mixed.sensitivity().layers()) {
            ObjectNode n = layers.addObject();
            n.put("layer", l.layer());
            n.put("chosen_bits", mixed.allocation().widths().get(l.layer()));
            n.put("configured_bits", l.configuredBits());
            n.put(
                    "weights",
                    l.weightCounts().stream().mapToLong(Long::longValue).sum());
            ArrayNode points = n.putArray("sensitivity");
            for (Sensitivity.Point p : l.points()) {
                ObjectNode o = points.addObject();
                o.put("bits", p.bits());
                o.put("weight_bytes", l.weightBytes(p.bits()));
                number(o, "loss", p.loss());
                number(o, "loss_increase", p.loss() - mixed.sensitivity().loss());
                number(o, "accuracy", p.accuracy());
                number(o, "sqnr_db", p.sqnrDb());
            }
        }
        ArrayNode frontier = m.putArray("frontier");
        for (BitAllocation a : mixed.frontier()) {
            allocationJson(frontier.addObject(), a);
        }
        ArrayNode measured = m.putArray("measured");
        for (MixedPrecision.Measured c : mixed.measured()) {
            ObjectNode o = measured.addObject();
            o.put("name", c.name());
            allocationJson(o, c.allocation());
            number(o, "loss", c.measurement().loss());
            number(o, "accuracy", c.measurement().accuracy());
        }
    }

    /** Widths, their int8 model's bytes and the knapsack's predicted loss for them. */
    private void allocationJson(ObjectNode o, BitAllocation a) {
        o.put("model_bytes", mixed.modelBytes(a));
        number(o, "predicted_loss", mixed.predictedLoss(a));
        ObjectNode widths = o.putObject("widths");
        a.widths().forEach(widths::put);
    }

    /** JSON has no NaN or infinity: an undefined number (no test image, a noise-free layer) is null. */
    static void number(ObjectNode node, String key, double value) {
        if (Double.isFinite(value)) {
            node.put(key, value);
        } else {
            node.putNull(key);
        }
    }

    void writeJson(Path file) throws IOException {
        writeJson(file, toJson());
    }

    /** Writes {@code json} indented to a temporary file renamed over {@code file}. */
    static void writeJson(Path file, ObjectNode json) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), json);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
