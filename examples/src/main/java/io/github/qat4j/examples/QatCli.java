package io.github.qat4j.examples;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code qat} command line. Run through the {@code qat} launcher at the repository root. */
@Command(name = "qat", mixinStandardHelpOptions = true, version = "qat4j 0.1.0",
        description = "Quantization-aware training for Deeplearning4j and an integer-only int8 runtime.",
        subcommands = {DataCommand.class, CommandLine.HelpCommand.class})
public final class QatCli {
    public static void main(String[] args) {
        System.exit(new CommandLine(new QatCli()).execute(args));
    }
}
