package io.github.qat4j.core.runtime;

import java.lang.System.Logger.Level;

/**
 * Picks the kernels once per JVM, as Lucene's {@code VectorizationProvider} does: the Vector API
 * ones when {@code jdk.incubator.vector} is in the boot layer ({@code --add-modules
 * jdk.incubator.vector}) and the CPU has vectors of at least 256 bits, the scalar reference
 * otherwise; the choice is logged once through {@link System.Logger}.
 */
final class Int8KernelsProvider {

    private static final System.Logger LOG = System.getLogger(Int8KernelsProvider.class.getName());
    private static final Int8Kernels KERNELS = lookup();

    private Int8KernelsProvider() {}

    static Int8Kernels get() {
        return KERNELS;
    }

    private static Int8Kernels lookup() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            LOG.log(
                    Level.WARNING,
                    "jdk.incubator.vector is not readable; int8 runtime uses the scalar kernels. "
                            + "Pass '--add-modules jdk.incubator.vector' to enable the Vector API kernels.");
            return new ScalarInt8Kernels();
        }
        try {
            String unusable = PanamaInt8Kernels.unusable();
            if (unusable != null) {
                LOG.log(Level.WARNING, "int8 runtime uses the scalar kernels: " + unusable);
                return new ScalarInt8Kernels();
            }
            Int8Kernels kernels = new PanamaInt8Kernels();
            LOG.log(Level.INFO, "int8 runtime kernels: " + kernels.name());
            return kernels;
        } catch (LinkageError e) {
            // LinkageError: the module is in the layer but not readable by this (unnamed) module.
            LOG.log(Level.WARNING, "int8 runtime uses the scalar kernels: Vector API unusable (" + e + ")");
            return new ScalarInt8Kernels();
        }
    }
}
