package io.github.qat4j.layers;

import java.util.Locale;
import org.bytedeco.javacpp.Loader;
import org.nd4j.linalg.env.EnvironmentalAction;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DL4J's oneDNN layer helpers, on by default wherever qat-layers is on the class path, and the one
 * line at start that says which native build runs and whether the helpers are in use.
 *
 * <p>DL4J 1.0.0-M2.1 gives a convolution, subsampling or batch normalization layer its oneDNN helper
 * only when the system property {@value #DISABLE_PROPERTY} is {@code false} (its default is
 * {@code true}) and its check of the native build succeeds, which needs {@link
 * org.nd4j.nativeblas.Nd4jCpu} (see there). Without the helpers those layers train 5 to 10 times
 * slower on the same {@code -onednn} build (BENCHMARKS.md, "Float training").
 *
 * <p>ND4J creates every {@link EnvironmentalAction} service while it initialises, before any layer
 * can exist, so this class's constructor is where the default is set: the property becomes {@code
 * false} unless the user has set it. Setting the environment variable {@value #VARIABLE} to {@code
 * false} (or the property to {@code true}) keeps DL4J's built-in loops, for comparison.
 */
public final class OneDnnHelpers implements EnvironmentalAction {
    /** DL4J's switch, read each time a layer is instantiated. */
    public static final String DISABLE_PROPERTY = "org.eclipse.deeplearning4j.helpers.disable";
    /** {@code false} turns the helpers off. */
    public static final String VARIABLE = "QAT4J_ONEDNN_HELPERS";

    private static final Logger LOG = LoggerFactory.getLogger(OneDnnHelpers.class);

    /** Called by ND4J's service loader during {@code Nd4j}'s initialisation; not for users. */
    public OneDnnHelpers() {
        if (System.getProperty(DISABLE_PROPERTY) == null) {
            System.setProperty(DISABLE_PROPERTY, "false");
        }
        LOG.info(status().toString());
    }

    @Override
    public String targetVariable() {
        return VARIABLE;
    }

    /** Called by ND4J when {@value #VARIABLE} is set, after the constructor. */
    @Override
    public void process(String value) {
        boolean on = !value.trim().equalsIgnoreCase("false") && !value.trim().equals("0");
        System.setProperty(DISABLE_PROPERTY, Boolean.toString(!on));
        LOG.info(status().toString());
    }

    /** What runs: the native build, whether oneDNN is in it, whether DL4J's layers will use it. */
    public record Status(String build, boolean oneDnnInBuild, boolean helpersOn) {
        @Override
        public String toString() {
            return String.format(
                    Locale.ROOT,
                    "ND4J native build %s, oneDNN %s, DL4J oneDNN layer helpers %s",
                    build,
                    oneDnnInBuild ? "linked" : "absent",
                    helpersOn ? "on" : "off");
        }
    }

    /** The state now (the helpers' switch is read per layer, so a later change of it counts for later layers). */
    public static Status status() {
        Nd4j.getExecutioner(); // loads the backend, if nothing has yet
        boolean linked;
        boolean used;
        try {
            // The build's feature list; the environment's flag is only a switch, on even in builds without oneDNN.
            linked = NativeOpsHolder.getInstance()
                    .getDeviceNativeOps()
                    .buildInfo()
                    .contains("HAVE_ONEDNN");
            used = linked
                    && org.nd4j.nativeblas.Nd4jCpu.Environment.getInstance().isUseMKLDNN();
        } catch (LinkageError | RuntimeException e) {
            LOG.warn(
                    "cannot query the native build for oneDNN ({}); DL4J's layers run without its helpers",
                    e.toString());
            linked = false;
            used = false;
        }
        boolean enabled = !Boolean.parseBoolean(System.getProperty(DISABLE_PROPERTY, "true"))
                && Nd4j.getEnvironment().helpersAllowed();
        return new Status(build(), linked, used && enabled);
    }

    /** The classifier of the loaded libnd4j, from the path JavaCPP extracted it to. */
    private static String build() {
        return Loader.getLoadedLibraries().entrySet().stream()
                .filter(e -> e.getKey().contains("nd4jcpu"))
                .map(e -> classifier(e.getValue()))
                .findFirst()
                .orElse("(not loaded)");
    }

    private static String classifier(String path) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                        "nd4j-native-[^/]*?-(" + Loader.getPlatform() + "[^/]*?)\\.jar")
                .matcher(path);
        return m.find() ? m.group(1) : path;
    }
}
