package io.github.qat4j.examples.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code qat} command line. Run through the {@code qat} launcher at the repository root. */
@Command(
        name = "qat",
        mixinStandardHelpOptions = true,
        version = "qat4j 0.1.0",
        description = "Quantization-aware training for Deeplearning4j and an integer-only int8 runtime.",
        subcommands = {
            DataCommand.class,
            MnistCommand.class,
            Cifar10Command.class,
            QuantizeCommand.class,
            EvalCommand.class,
            CompareCommand.class,
            InspectCommand.class,
            BenchCommand.class,
            ExportCommand.class,
            CommandLine.HelpCommand.class
        })
public final class QatCli {
    /** Exit code of a run that failed for a reason other than its arguments (those give 2). */
    static final int FAILED = 1;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line, configured; the tests run it in-process. */
    static CommandLine commandLine() {
        // XChart draws with AWT; a server has no display.
        System.setProperty("java.awt.headless", "true");
        return new CommandLine(new QatCli()).setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("qat " + commandLine.getCommandName() + ": " + describe(e));
            if (e instanceof NullPointerException
                    || e instanceof IndexOutOfBoundsException
                    || e instanceof ClassCastException) {
                e.printStackTrace(commandLine.getErr()); // a bug, not a user's mistake: show where
            }
            return FAILED;
        });
    }

    /** The exception's message and those of its causes: what went wrong, without a stack trace. */
    private static String describe(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && b.indexOf(t.getMessage()) < 0) {
                b.append(b.length() == 0 ? "" : ": ").append(t.getMessage());
            } else if (t.getMessage() == null && b.length() == 0) {
                b.append(t.getClass().getSimpleName());
            }
        }
        return b.toString();
    }
}
