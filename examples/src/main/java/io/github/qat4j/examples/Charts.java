package io.github.qat4j.examples;

import io.github.qat4j.layers.analysis.BitAllocation;
import io.github.qat4j.layers.analysis.QuantizationReport;
import io.github.qat4j.layers.analysis.Sensitivity;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.Histogram;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/** The report's plots, drawn with XChart and saved as PNG. */
final class Charts {
    private static final int WIDTH = 640;
    private static final int HEIGHT = 400;

    private Charts() {}

    static void save(Chart<?, ?> chart, Path file) throws IOException {
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** One line per stage over its epochs; stages without a finite value are left out. */
    static XYChart perEpoch(
            String title,
            String yTitle,
            List<String> names,
            List<List<EpochStats>> stages,
            ToDoubleFunction<EpochStats> value) {
        XYChart chart = new XYChartBuilder()
                .width(WIDTH)
                .height(HEIGHT)
                .title(title)
                .xAxisTitle("epoch")
                .yAxisTitle(yTitle)
                .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setXAxisDecimalPattern("0");
        chart.getStyler().setYAxisDecimalPattern("0.###");
        for (int s = 0; s < stages.size(); s++) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (EpochStats e : stages.get(s)) {
                double v = value.applyAsDouble(e);
                if (Double.isFinite(v)) {
                    x.add((double) e.epoch());
                    y.add(v);
                }
            }
            if (!x.isEmpty()) {
                chart.addSeries(names.get(s), x, y);
            }
        }
        return chart;
    }

    /** SQNR of each quantizer's layer output, float vs fake-quantized, in dB. */
    static CategoryChart sqnr(QuantizationReport report) {
        List<String> names = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (QuantizationReport.Entry e : report.entries()) {
            names.add(e.layer() + " (" + (e.tensor().startsWith("w") ? "W" : "A") + e.bits() + ")");
            values.add(Double.isFinite(e.sqnrDb()) ? e.sqnrDb() : 0);
        }
        CategoryChart chart = new CategoryChartBuilder()
                .width(Math.max(WIDTH, 28 * names.size()))
                .height(HEIGHT)
                .title("SQNR per layer output (float vs fake-quantized)")
                .xAxisTitle("layer")
                .yAxisTitle("dB")
                .build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setXAxisLabelRotation(60);
        chart.addSeries("SQNR", names, values);
        return chart;
    }

    /**
     * Per weight layer, the loss increase on the calibration images with that layer alone at each
     * width (every other layer as configured): one bar per width.
     */
    static CategoryChart sensitivity(Sensitivity s) {
        List<String> layers =
                s.layers().stream().map(Sensitivity.LayerSensitivity::layer).toList();
        CategoryChart chart = new CategoryChartBuilder()
                .width(WIDTH)
                .height(HEIGHT)
                .title("Sensitivity per layer (one layer at a time at each weight width)")
                .xAxisTitle("layer")
                .yAxisTitle("loss increase")
                .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setYAxisDecimalPattern("0.###");
        for (int w = 0; w < s.layers().get(0).points().size(); w++) {
            int index = w;
            List<Double> increase = s.layers().stream()
                    .map(l -> l.points().get(index).loss() - s.loss())
                    .toList();
            chart.addSeries("W" + s.layers().get(0).points().get(w).bits(), layers, increase);
        }
        return chart;
    }

    /**
     * Loss on the calibration images against the int8 model's bytes: the knapsack's frontier as it
     * predicts it (the loss at the configured widths plus each layer's increase measured alone), and
     * every layer at one width and the chosen widths as measured, all before fine-tuning. The y axis is
     * logarithmic, as 2-bit weights cost orders of magnitude more than 8-bit ones; a predicted loss at
     * or below zero (noise in small increases) has no place on it and is left out.
     */
    static XYChart frontierLoss(MixedPrecision m) {
        XYChart chart = sizeChart(
                "Predicted and measured loss by model size (no fine-tuning)", "loss", Styler.LegendPosition.InsideNE);
        chart.getStyler().setYAxisLogarithmic(true);
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (BitAllocation a : m.frontier()) {
            double loss = m.predictedLoss(a);
            if (loss > 0) {
                x.add((double) m.modelBytes(a));
                y.add(loss);
            }
        }
        chart.addSeries("knapsack frontier, predicted", x, y).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Step);
        measured(chart, m, Sensitivity.Measurement::loss);
        return chart;
    }

    /**
     * Accuracy against the int8 model's bytes: every layer at one width and the chosen widths measured
     * on the calibration images before fine-tuning, and the chosen widths' int8 model after fine-tuning
     * on the test images, where it was exported.
     */
    static XYChart frontierAccuracy(MixedPrecision m, Int8Stage int8) {
        XYChart chart = sizeChart("Accuracy by model size", "accuracy", Styler.LegendPosition.InsideSE);
        measured(chart, m, Sensitivity.Measurement::accuracy);
        if (int8.exported()) {
            scatter(
                    chart,
                    "chosen, fine-tuned: int8 model, test images",
                    List.of((double) int8.evaluation().modelBytes()),
                    List.of(int8.evaluation().predictions().accuracy()));
        }
        return chart;
    }

    /** @param legend a corner the points leave empty: loss falls and accuracy rises with the bytes */
    private static XYChart sizeChart(String title, String yTitle, Styler.LegendPosition legend) {
        XYChart chart = new XYChartBuilder()
                .width(WIDTH)
                .height(HEIGHT)
                .title(title)
                .xAxisTitle("int8 model bytes")
                .yAxisTitle(yTitle)
                .build();
        chart.getStyler().setLegendPosition(legend);
        chart.getStyler().setXAxisDecimalPattern("#,##0");
        chart.getStyler().setYAxisDecimalPattern("0.####");
        return chart;
    }

    /** The uniform widths and the chosen widths as measured before fine-tuning, as two scatter series. */
    private static void measured(XYChart chart, MixedPrecision m, ToDoubleFunction<Sensitivity.Measurement> value) {
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (MixedPrecision.Measured c : m.uniform()) {
            x.add((double) m.modelBytes(c.allocation()));
            y.add(value.applyAsDouble(c.measurement()));
        }
        scatter(
                chart,
                "every layer at one width ("
                        + String.join(
                                ", ",
                                m.uniform().stream()
                                        .map(MixedPrecision.Measured::name)
                                        .toList()) + "), measured",
                x,
                y);
        scatter(
                chart,
                "chosen widths, measured",
                List.of((double) m.predictedModelBytes()),
                List.of(value.applyAsDouble(m.chosen().measurement())));
    }

    private static void scatter(XYChart chart, String name, List<Double> x, List<Double> y) {
        chart.addSeries(name, x, y).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    }

    /** The distribution of one layer's learned per-channel weight scales. */
    static CategoryChart scaleHistogram(String layer, float[] scales) {
        List<Double> data = new ArrayList<>();
        for (float s : scales) {
            data.add((double) s);
        }
        int bins = Math.max(1, Math.min(20, scales.length / 2));
        Histogram histogram = new Histogram(data, bins);
        CategoryChart chart = new CategoryChartBuilder()
                .width(WIDTH / 2)
                .height(HEIGHT * 3 / 4)
                .title(layer + ": " + scales.length + " weight scale" + (scales.length == 1 ? "" : "s"))
                .xAxisTitle("scale")
                .yAxisTitle("channels")
                .build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setXAxisDecimalPattern("0.0E0");
        chart.getStyler().setXAxisLabelRotation(60);
        chart.getStyler().setXAxisMaxLabelCount(6);
        chart.getStyler().setAvailableSpaceFill(0.96);
        chart.addSeries("scales", histogram.getxAxisData(), histogram.getyAxisData());
        return chart;
    }

    /** Rows: true class; columns: predicted class; cell: images. */
    static HeatMapChart confusion(String title, long[][] counts, List<String> classNames) {
        int n = counts.length;
        int[][] heat = new int[n][n];
        for (int actual = 0; actual < n; actual++) {
            for (int predicted = 0; predicted < n; predicted++) {
                // XChart indexes heat data [x][y], with y growing upwards: put the first class on top.
                heat[predicted][n - 1 - actual] = (int) counts[actual][predicted];
            }
        }
        List<String> reversed = new ArrayList<>(classNames);
        java.util.Collections.reverse(reversed);
        HeatMapChart chart = new HeatMapChartBuilder()
                .width(WIDTH)
                .height(WIDTH)
                .title(title)
                .xAxisTitle("predicted")
                .yAxisTitle("true")
                .build();
        chart.getStyler().setShowValue(true);
        chart.getStyler().setPiecewise(false);
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setRangeColors(new Color[] {Color.WHITE, new Color(0x9ecae1), new Color(0x08519c)});
        chart.addSeries("confusion", classNames, reversed, toNumbers(heat));
        return chart;
    }

    private static List<Number[]> toNumbers(int[][] heat) {
        List<Number[]> cells = new ArrayList<>();
        for (int x = 0; x < heat.length; x++) {
            for (int y = 0; y < heat[x].length; y++) {
                cells.add(new Number[] {x, y, heat[x][y]});
            }
        }
        return cells;
    }
}
