package io.github.qat4j.examples;

import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.core.runtime.TensorQuantization;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code qat inspect MODEL}: what an int8 model file holds. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Read an int8 model file (checking it strictly) and print its input, ops and output.")
final class InspectCommand implements Callable<Integer> {
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
        out.printf(Locale.ROOT, "%s: %s%n", model, Report.bytes(Files.size(model)));
        out.printf(Locale.ROOT, "input  %s, %d bits, scale %.6g, zero point %d%n", Arrays.toString(m.inputShape()),
                q.bits(), q.scale(), q.zeroPoint());
        List<String> ops = m.opNames();
        for (int i = 0; i < ops.size(); i++) {
            out.printf(Locale.ROOT, "op %3d %s%n", i, ops.get(i));
        }
        out.printf(Locale.ROOT, "output %s%n", Arrays.toString(m.outputShape()));
        return 0;
    }
}
