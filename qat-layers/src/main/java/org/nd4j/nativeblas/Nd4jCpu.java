package org.nd4j.nativeblas;

/**
 * The class under the name DL4J 1.0.0-M2.1 looks for to decide whether its oneDNN layer helpers may
 * be used, delegating to the class that ND4J 1.0.0-M2.1 actually ships.
 *
 * <p>Why: {@code org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper.mklDnnEnabled()} loads
 * {@code org.nd4j.nativeblas.Nd4jCpu$Environment} by reflection and calls {@code isUseMKLDNN()} on
 * its {@code getInstance()}. In nd4j-native 1.0.0-M2.1 that class is
 * {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment} and the method
 * {@code isUseONEDNN()}, so the lookup throws, the check answers false, and every oneDNN helper
 * (convolution, subsampling, batch normalization, LRN, LSTM) is discarded without a word: DL4J's
 * layers then run libnd4j's generic loops at a few percent of the CPU's speed, even on an
 * {@code -onednn} build. With this class on the class path the check reaches the real flag.
 * {@link io.github.qat4j.layers.OneDnnHelpers} turns the helpers on and reports their state.
 */
public final class Nd4jCpu {
    private Nd4jCpu() {}

    /** The two members {@code BaseMKLDNNHelper} calls. */
    public static final class Environment {
        private static final Environment INSTANCE = new Environment();

        private Environment() {}

        public static Environment getInstance() {
            return INSTANCE;
        }

        /** Whether libnd4j was built with oneDNN and has it switched on. */
        public boolean isUseMKLDNN() {
            return org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu.Environment.getInstance()
                    .isUseONEDNN();
        }
    }
}
