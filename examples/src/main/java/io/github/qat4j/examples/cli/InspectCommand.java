package io.github.qat4j.examples.cli;

import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.core.runtime.OpInfo;
import io.github.qat4j.core.runtime.TensorQuantization;
import io.github.qat4j.examples.Report;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code qat inspect MODEL}: what an int8 model file holds. */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description = {
            "Read an int8 model file (checking it strictly) and print its input, how the input is made "
                    + "from pixels (if the file records it), a table of its ops and its output.",
            "Per op: kind, input and output shapes (per image), weights (count, bits, smallest and largest "
                    + "per-channel scale), output quantization, the activation its output clamp applies, "
                    + "multiply-accumulates per image and the bytes of its section in the file."
        })
final class InspectCommand implements Callable<Integer> {
    private static final String[] HEADER = {
        "#",
        "op",
        "kind",
        "input",
        "output",
        "weights",
        "w bits",
        "w scale min..max",
        "out bits",
        "out scale",
        "out zp",
        "act",
        "MACs",
        "bytes"
    };
    /** Per column: left-aligned text or right-aligned numbers. */
    private static final String ALIGN = "rllllrrlrrrlrr";

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "An int8 model file.")
    Path model;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(model)) {
            throw new ParameterException(spec.commandLine(), "no model file " + model);
        }
        Int8Model m = Int8Model.load(model);
        PrintWriter out = spec.commandLine().getOut();
        TensorQuantization q = m.inputQuantization();
        long fileBytes = Files.size(model);
        out.printf(Locale.ROOT, "%s: %s%n", model, Report.bytes(fileBytes));
        if (q == null) {
            out.printf(
                    Locale.ROOT,
                    "input  %s, dynamic: quantized per image at run time%n",
                    Arrays.toString(m.inputShape()));
        } else {
            out.printf(
                    Locale.ROOT,
                    "input  %s, %d bits, scale %.6g, zero point %d%n",
                    Arrays.toString(m.inputShape()),
                    q.bits(),
                    q.scale(),
                    q.zeroPoint());
        }
        out.printf(Locale.ROOT, "input preprocessing: %s%n", m.inputPreprocessing());
        List<OpInfo> ops = m.ops();
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        long weights = 0;
        long macs = 0;
        long opBytes = 0;
        for (int i = 0; i < ops.size(); i++) {
            OpInfo op = ops.get(i);
            rows.add(row(i, op, i == ops.size() - 1));
            weights += op.weights() == null ? 0 : op.weights().count();
            macs += op.macs();
            opBytes += op.fileBytes();
        }
        for (String line : table(rows)) {
            out.println(line);
        }
        out.printf(Locale.ROOT, "output %s%s%n", Arrays.toString(m.outputShape()), m.softmax() ? ", then softmax" : "");
        out.printf(
                Locale.ROOT,
                "total  %d ops, %,d weights, %,d MACs per image; op sections %s of the file's %s%n",
                ops.size(),
                weights,
                macs,
                Report.bytes(opBytes),
                Report.bytes(fileBytes));
        return 0;
    }

    private static String[] row(int index, OpInfo op, boolean last) {
        OpInfo.Weights w = op.weights();
        TensorQuantization q = op.outputQuantization();
        String scales = w == null
                ? ""
                : w.minScale() == w.maxScale()
                        ? number(w.minScale())
                        : number(w.minScale()) + ".." + number(w.maxScale());
        return new String[] {
            String.valueOf(index),
            op.name(),
            op.kind().name().toLowerCase(Locale.ROOT).replace('_', ' '),
            op.inputShapes().stream().map(List::toString).collect(Collectors.joining(" + ")),
            op.outputShape().toString(),
            w == null ? "" : String.format(Locale.ROOT, "%,d", w.count()),
            w == null ? "" : String.valueOf(w.bits()),
            scales,
            q != null ? String.valueOf(q.bits()) : last ? "float" : "dynamic",
            q == null ? "" : number(q.scale()),
            q == null ? "" : String.valueOf(q.zeroPoint()),
            op.activation() == null ? "" : op.activation().name().toLowerCase(Locale.ROOT),
            op.macs() == 0 ? "" : String.format(Locale.ROOT, "%,d", op.macs()),
            String.format(Locale.ROOT, "%,d", op.fileBytes())
        };
    }

    private static String number(float v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    /** The rows as lines with each column padded to its widest cell, two spaces apart. */
    private static List<String> table(List<String[]> rows) {
        int[] width = new int[ALIGN.length()];
        for (String[] row : rows) {
            for (int c = 0; c < row.length; c++) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                String pad = " ".repeat(width[c] - row[c].length());
                line.append(c == 0 ? "" : "  ").append(ALIGN.charAt(c) == 'r' ? pad + row[c] : row[c] + pad);
            }
            lines.add(line.toString().stripTrailing());
        }
        return lines;
    }
}
