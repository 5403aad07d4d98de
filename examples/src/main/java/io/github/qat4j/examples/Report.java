package io.github.qat4j.examples;

import io.github.qat4j.layers.analysis.QuantizationReport;
import io.github.qat4j.layers.analysis.Sensitivity;
import io.github.qat4j.layers.export.Int8Comparison;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code report.html} and its PNG plots, in the output directory. */
public final class Report {
    private Report() {}

    /**
     * @param weightScales the learned per-channel weight scales of each quantized layer, by layer name
     * @param classNames the data set's class names, for the confusion matrix
     */
    static void write(Path dir, Results r, Map<String, float[]> weightScales, List<String> classNames)
            throws IOException {
        Path plots = Files.createDirectories(dir.resolve("plots"));
        List<String> stageNames = List.of("float", "QAT");
        List<List<EpochStats>> stages =
                List.of(r.floatStage().history(), r.qatStage().history());
        Charts.save(
                Charts.perEpoch("Training loss", "loss", stageNames, stages, EpochStats::trainLoss),
                plots.resolve("loss.png"));
        Charts.save(
                Charts.perEpoch(
                        "Test accuracy (QAT epoch 0: calibrated, before fine-tuning)",
                        "accuracy",
                        stageNames,
                        stages,
                        EpochStats::testAccuracy),
                plots.resolve("accuracy.png"));
        Charts.save(Charts.sqnr(r.quantization()), plots.resolve("sqnr.png"));
        if (r.mixed() != null && !r.mixed().sensitivity().layers().isEmpty()) {
            Charts.save(Charts.sensitivity(r.mixed().sensitivity()), plots.resolve("sensitivity.png"));
        }
        if (r.mixed() != null) {
            Charts.save(Charts.frontierLoss(r.mixed()), plots.resolve("frontier-loss.png"));
            Charts.save(Charts.frontierAccuracy(r.mixed(), r.int8()), plots.resolve("frontier-accuracy.png"));
        }
        String confusionOf = r.int8().exported() ? "int8 model (runtime)" : "QAT network (no int8 model)";
        Charts.save(
                Charts.confusion(
                        "Confusion matrix, " + confusionOf, r.finalPredictions().confusion(), classNames),
                plots.resolve("confusion.png"));
        List<String> histograms = new ArrayList<>();
        int i = 0;
        for (Map.Entry<String, float[]> e : weightScales.entrySet()) {
            String file = String.format(Locale.ROOT, "scales-%02d.png", i++);
            Charts.save(Charts.scaleHistogram(e.getKey(), e.getValue()), plots.resolve(file));
            histograms.add(file);
        }
        Files.writeString(dir.resolve("report.html"), html(r, histograms, confusionOf), StandardCharsets.UTF_8);
    }

    private static String html(Results r, List<String> histograms, String confusionOf) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>qat4j: ")
                .append(esc(r.dataset()))
                .append(' ')
                .append(esc(r.model()))
                .append("</title>\n<style>\n")
                .append("body{font-family:sans-serif;margin:2em;max-width:1400px}")
                .append("table{border-collapse:collapse;margin:1em 0}")
                .append("td,th{border:1px solid #bbb;padding:4px 10px;text-align:right}")
                .append("th{background:#eee}td:first-child,th:first-child{text-align:left}")
                .append("img{margin:4px;border:1px solid #ddd}.missing{color:#a00}\n</style></head><body>\n");
        h.append("<h1>")
                .append(esc(r.dataset()))
                .append(", ")
                .append(esc(r.model()))
                .append(", ")
                .append(esc(r.widths()))
                .append("</h1>\n");
        h.append(String.format(
                Locale.ROOT,
                "<p>%d training images, %d test images; JDK %s, %d cores.</p>%n",
                r.trainImages(),
                r.testImages(),
                esc(Runtime.version().toString()),
                Runtime.getRuntime().availableProcessors()));
        h.append("<h2>Accuracy, size, latency</h2>\n<table>\n<tr><th>model</th><th>test accuracy</th>")
                .append("<th>agreement</th><th>size</th><th>train time</th><th>latency, batch 1</th></tr>\n");
        h.append(row(
                "float",
                r.floatPredictions().accuracy(),
                "",
                bytes(r.floatModelBytes()) + " (float32 parameters)",
                seconds(r.floatStage().trainSeconds()),
                millis(r.floatLatencyMillis())));
        h.append(row(
                "QAT (fake-quantized, DL4J)",
                r.qatPredictions().accuracy(),
                percent(r.qatPredictions().agreementWith(r.floatPredictions())) + " with float",
                "",
                seconds(r.qatStage().trainSeconds()),
                ""));
        if (r.int8().exported()) {
            Int8Evaluation e = r.int8().evaluation();
            h.append(row(
                    "int8 (runtime)",
                    e.predictions().accuracy(),
                    percent(e.predictions().agreementWith(r.qatPredictions())) + " with QAT",
                    bytes(e.modelBytes()),
                    "",
                    millis(e.latencyMillisBatch1())));
        }
        h.append("</table>\n");
        if (!r.int8().exported()) {
            h.append("<p class=\"missing\">No int8 model: ")
                    .append(esc(r.int8().missing()))
                    .append("</p>\n");
        }
        h.append(String.format(
                Locale.ROOT,
                "<p>QAT network after calibration, before fine-tuning: %s.</p>%n",
                percent(r.qatCalibratedAccuracy())));
        if (r.mixed() != null) {
            h.append(mixed(r.mixed())).append(frontier(r));
        }
        h.append("<h2>Training</h2>\n")
                .append(img("plots/loss.png", "training loss per epoch"))
                .append(img("plots/accuracy.png", "test accuracy per epoch"))
                .append('\n');
        h.append("<h2>Quantizers</h2>\n")
                .append(img("plots/sqnr.png", "SQNR per layer"))
                .append('\n');
        h.append("<table>\n<tr><th>layer</th><th>tensor</th><th>bits</th><th>scale min</th><th>median</th>")
                .append("<th>max</th><th>clipped</th><th>SQNR dB</th><th>collapsed scales</th></tr>\n");
        for (QuantizationReport.Entry e : r.quantization().entries()) {
            h.append(String.format(
                    Locale.ROOT,
                    "<tr><td>%s</td><td>%s</td><td>%d</td><td>%.3g</td><td>%.3g</td><td>%.3g</td><td>%.3f%%</td><td>%.1f</td>"
                            + "<td>%d</td></tr>%n",
                    esc(e.layer()),
                    esc(e.tensor()),
                    e.bits(),
                    e.scaleMin(),
                    e.scaleMedian(),
                    e.scaleMax(),
                    100 * e.clippedFraction(),
                    e.sqnrDb(),
                    e.collapsedScales()));
        }
        h.append("</table>\n");
        if (r.int8().exported()) {
            h.append(comparison(r.int8().comparison()));
        }
        h.append("<h2>Learned weight scales</h2>\n");
        for (String file : histograms) {
            h.append(img("plots/" + file, "histogram of learned weight scales"));
        }
        h.append("\n<h2>Confusion matrix</h2>\n<p>")
                .append(esc(confusionOf))
                .append("</p>\n")
                .append(img("plots/confusion.png", "confusion matrix"))
                .append("\n</body></html>\n");
        return h.toString();
    }

    /** The int8 model's tensors against the QAT network's, per op. */
    private static String comparison(Int8Comparison c) {
        StringBuilder h = new StringBuilder("<h2>int8 against QAT, tensor by tensor</h2>\n");
        h.append(String.format(
                Locale.ROOT,
                "<p>On %d test images the int8 model gives the QAT network's class for %s "
                        + "of them. Its quantized tensors differ from the QAT network's by at most %d LSB (one step of the "
                        + "tensor's scale) when the runtime runs the whole image, and by at most %d LSB when each op runs "
                        + "alone on the QAT network's integers for its inputs.</p>%n",
                c.images(),
                percent(c.sameClass()),
                c.maxLsb(),
                c.aloneMaxLsb()));
        h.append("<table>\n<tr><th>op</th><th>QAT activation</th><th>max LSB, model</th><th>exact</th>")
                .append("<th>&gt; 1 LSB</th><th>max LSB, op alone</th><th>exact</th></tr>\n");
        for (Int8Comparison.Tensor t : c.tensors()) {
            h.append(String.format(
                    Locale.ROOT,
                    "<tr><td>%s</td><td>%s</td><td>%d</td><td>%.3f%%</td><td>%.4f%%</td>"
                            + "<td>%d</td><td>%.3f%%</td></tr>%n",
                    esc(t.op()),
                    esc(t.activation()),
                    t.maxLsb(),
                    100 * t.exact(),
                    100 * t.overOneLsb(),
                    t.aloneMaxLsb(),
                    100 * t.aloneExact()));
        }
        return h.append("</table>\n").toString();
    }

    /** The --size-budget section: the sensitivity chart and, per layer, each width's loss change and the chosen one. */
    private static String mixed(MixedPrecision m) {
        StringBuilder h = new StringBuilder("<h2>Mixed precision</h2>\n");
        h.append(String.format(
                Locale.ROOT,
                "<p>Size budget %s; predicted int8 model %s (%s at the configured widths). "
                        + "Sensitivities on %d training images, one layer at a time, in %s; at the configured widths "
                        + "the loss is %.4f and the accuracy %s.</p>%n",
                bytes(m.budget()),
                bytes(m.predictedModelBytes()),
                bytes(m.configuredModelBytes()),
                m.calibrationImages(),
                seconds(m.seconds()),
                m.sensitivity().loss(),
                percent(m.sensitivity().accuracy())));
        if (!m.sensitivity().layers().isEmpty()) {
            h.append(img("plots/sensitivity.png", "sensitivity per layer")).append('\n');
        }
        h.append("<table>\n<tr><th>layer</th><th>weights</th><th>chosen bits</th>");
        List<Sensitivity.Point> header = m.sensitivity().layers().isEmpty()
                ? List.of()
                : m.sensitivity().layers().get(0).points();
        for (Sensitivity.Point p : header) {
            h.append("<th>W").append(p.bits()).append(": loss change, SQNR dB</th>");
        }
        h.append("</tr>\n");
        for (Sensitivity.LayerSensitivity l : m.sensitivity().layers()) {
            h.append("<tr><td>")
                    .append(esc(l.layer()))
                    .append("</td><td>")
                    .append(l.weightCounts().stream().mapToLong(Long::longValue).sum())
                    .append("</td><td>")
                    .append(m.allocation().widths().get(l.layer()))
                    .append("</td>");
            for (Sensitivity.Point p : l.points()) {
                h.append(String.format(
                        Locale.ROOT,
                        "<td>%+.4f, %.1f</td>",
                        p.loss() - m.sensitivity().loss(),
                        p.sqnrDb()));
            }
            h.append("</tr>\n");
        }
        return h.append("</table>\n").toString();
    }

    /** The size-accuracy frontier: what the knapsack predicts, what was measured before and after fine-tuning. */
    private static String frontier(Results r) {
        MixedPrecision m = r.mixed();
        StringBuilder h = new StringBuilder("<h2>Size-accuracy frontier</h2>\n");
        h.append(String.format(
                Locale.ROOT,
                "<p>Predicted: the knapsack's frontier, each model size's least summed "
                        + "loss increase with one layer at a time at each width (%d allocations). Measured on the same %d "
                        + "calibration images before any fine-tuning: every layer at one width, and the chosen widths. "
                        + "Fine-tuned: the chosen widths after QAT, their int8 model on the %d test images.</p>%n",
                m.frontier().size(),
                m.calibrationImages(),
                r.testImages()));
        h.append(img("plots/frontier-loss.png", "predicted and measured loss by model size"))
                .append(img("plots/frontier-accuracy.png", "accuracy by model size"))
                .append('\n');
        h.append("<table>\n<tr><th>widths</th><th>bits per layer</th><th>int8 model</th><th>predicted loss</th>")
                .append(
                        "<th>measured loss</th><th>measured accuracy</th><th>fine-tuned int8 test accuracy</th></tr>\n");
        for (MixedPrecision.Measured c : m.measured()) {
            boolean chosen = c == m.chosen();
            h.append(String.format(
                    Locale.ROOT,
                    "<tr><td>%s</td><td>%s</td><td>%s</td><td>%.4f</td><td>%.4f</td>" + "<td>%s</td><td>%s</td></tr>%n",
                    esc(c.name()),
                    esc(c.allocation().widths().toString()),
                    bytes(m.modelBytes(c.allocation())),
                    m.predictedLoss(c.allocation()),
                    c.measurement().loss(),
                    percent(c.measurement().accuracy()),
                    chosen && r.int8().exported()
                            ? percent(r.int8().evaluation().predictions().accuracy())
                            : ""));
        }
        return h.append("</table>\n").toString();
    }

    private static String row(
            String name, double accuracy, String agreement, String size, String train, String latency) {
        return "<tr><td>" + esc(name) + "</td><td>" + percent(accuracy) + "</td><td>" + agreement + "</td><td>" + size
                + "</td><td>" + train + "</td><td>" + latency + "</td></tr>\n";
    }

    private static String img(String src, String alt) {
        return "<img src=\"" + src + "\" alt=\"" + alt + "\">";
    }

    public static String percent(double fraction) {
        return Double.isFinite(fraction) ? String.format(Locale.ROOT, "%.2f%%", 100 * fraction) : "n/a";
    }

    public static String bytes(long bytes) {
        return String.format(Locale.ROOT, "%,d B", bytes);
    }

    static String seconds(double s) {
        return String.format(Locale.ROOT, "%.0f s", s);
    }

    public static String millis(double ms) {
        return String.format(Locale.ROOT, "%.3f ms", ms);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
