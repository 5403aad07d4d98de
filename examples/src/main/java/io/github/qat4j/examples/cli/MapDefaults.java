package io.github.qat4j.examples.cli;

import java.util.Map;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/** A command's option defaults by long option name, so that shared options default per data set. */
abstract class MapDefaults implements IDefaultValueProvider {
    private final Map<String, String> defaults;

    MapDefaults(Map<String, String> defaults) {
        this.defaults = defaults;
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        return arg instanceof OptionSpec o ? defaults.get(o.longestName()) : null;
    }
}
