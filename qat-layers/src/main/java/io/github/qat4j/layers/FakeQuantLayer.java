package io.github.qat4j.layers;

import io.github.qat4j.core.quant.EmaMinMaxObserver;
import io.github.qat4j.core.quant.FakeQuant;
import io.github.qat4j.core.quant.QuantParams;
import io.github.qat4j.core.quant.QuantSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * A per-tensor fake quantizer of activations (or of the network input): {@code y = s * (q - z)} with
 * {@code q = clamp(round(x / s) + z, qmin, qmax)}, straight-through gradient for {@code x} and the LSQ
 * gradient for {@code s}. Shape-agnostic: it sits after an activation, a residual add, or first in
 * the network.
 *
 * <p>Its state lives in DL4J parameters, so {@code ModelSerializer} saves it and parameter averaging
 * (Spark) averages it: {@link #SCALE} (learned after the observe stage), and the observer state
 * {@link #ZERO_POINT}, {@link #RUNNING_MIN}, {@link #RUNNING_MAX} and {@link #OBSERVED} (1 once a
 * batch has been seen), which have no updater and change only while observing.
 */
public class FakeQuantLayer extends BaseLayer {
    public static final String SCALE = "scale";
    public static final String ZERO_POINT = "zeroPoint";
    public static final String RUNNING_MIN = "runningMin";
    public static final String RUNNING_MAX = "runningMax";
    public static final String OBSERVED = "observed";
    private static final List<String> KEYS = List.of(SCALE, ZERO_POINT, RUNNING_MIN, RUNNING_MAX, OBSERVED);

    private QuantizerConfig quant = QuantizerConfig.activations(8, 0);

    /** For JSON deserialization. */
    public FakeQuantLayer() {
        this.activationFn = new ActivationIdentity();
        this.iUpdater = new NoOp();
        this.gradientNormalization = GradientNormalization.None;
    }

    public FakeQuantLayer(String name, QuantizerConfig quant) {
        this();
        this.layerName = name;
        setQuant(quant);
    }

    public QuantizerConfig getQuant() {
        return quant;
    }

    public void setQuant(QuantizerConfig quant) {
        if (quant.isPerChannel()) {
            throw new IllegalArgumentException("activation quantizer " + QatLayers.name(this)
                    + " is per tensor; per-channel activation quantization is not supported");
        }
        this.quant = quant.clone();
    }

    @Override
    public Layer instantiate(
            NeuralNetConfiguration conf,
            Collection<TrainingListener> listeners,
            int index,
            INDArray paramsView,
            boolean initializeParams,
            DataType dataType) {
        return QatLayers.wire(new Impl(conf, dataType), conf, listeners, index, paramsView, initializeParams);
    }

    @Override
    public ParamInitializer initializer() {
        return Params.INSTANCE;
    }

    @Override
    public IUpdater getUpdaterByParam(String param) {
        return SCALE.equals(param) ? quant.getScaleUpdater() : new NoOp();
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return Objects.requireNonNull(inputType, "input type");
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {}

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return null;
    }

    @Override
    public boolean isPretrainParam(String paramName) {
        return false;
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        return new LayerMemoryReport.Builder(layerName, FakeQuantLayer.class, inputType, inputType)
                .standardMemory(KEYS.size(), KEYS.size())
                .workingMemory(0, 0, 0, 0)
                .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }

    @Override
    public FakeQuantLayer clone() {
        FakeQuantLayer c = (FakeQuantLayer) super.clone();
        c.quant = quant.clone();
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FakeQuantLayer && super.equals(o) && quant.equals(((FakeQuantLayer) o).quant);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), quant);
    }

    /**
     * Runs {@code pass} with every quantizer among {@code layers} observing its input in inference
     * mode too: the calibration of {@code Qat.calibrate}.
     */
    public static void calibrate(Layer[] layers, Runnable pass) {
        List<Impl> quantizers = new ArrayList<>();
        for (Layer l : layers) {
            if (l instanceof Impl) {
                quantizers.add((Impl) l);
            }
        }
        quantizers.forEach(q -> q.calibrating = true);
        try {
            pass.run();
        } finally {
            quantizers.forEach(q -> q.calibrating = false);
        }
    }

    /** Five scalars: scale (1 until observed), zero point, running min and max, observed flag. */
    private static final class Params implements ParamInitializer {
        static final Params INSTANCE = new Params();

        @Override
        public long numParams(NeuralNetConfiguration conf) {
            return KEYS.size();
        }

        @Override
        public long numParams(org.deeplearning4j.nn.conf.layers.Layer layer) {
            return KEYS.size();
        }

        @Override
        public List<String> paramKeys(org.deeplearning4j.nn.conf.layers.Layer layer) {
            return KEYS;
        }

        @Override
        public List<String> weightKeys(org.deeplearning4j.nn.conf.layers.Layer layer) {
            return Collections.emptyList();
        }

        @Override
        public List<String> biasKeys(org.deeplearning4j.nn.conf.layers.Layer layer) {
            return Collections.emptyList();
        }

        @Override
        public boolean isWeightParam(org.deeplearning4j.nn.conf.layers.Layer layer, String key) {
            return false;
        }

        @Override
        public boolean isBiasParam(org.deeplearning4j.nn.conf.layers.Layer layer, String key) {
            return false;
        }

        @Override
        public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView, boolean initialize) {
            Map<String, INDArray> views = split(paramsView);
            if (initialize) {
                views.get(SCALE).assign(1);
                views.get(ZERO_POINT).assign(0);
                views.get(RUNNING_MIN).assign(0);
                views.get(RUNNING_MAX).assign(0);
                views.get(OBSERVED).assign(0);
            }
            KEYS.forEach(conf::addVariable);
            return views;
        }

        @Override
        public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray gradientView) {
            return split(gradientView);
        }

        private static Map<String, INDArray> split(INDArray view) {
            INDArray flat = view.reshape(view.length());
            Map<String, INDArray> m = new LinkedHashMap<>();
            for (int i = 0; i < KEYS.size(); i++) {
                m.put(KEYS.get(i), flat.get(NDArrayIndex.interval(i, i + 1)));
            }
            return m;
        }
    }

    static final class Impl extends org.deeplearning4j.nn.layers.BaseLayer<FakeQuantLayer> {
        /** Set by {@link FakeQuantLayer#calibrate}: observe during inference passes. */
        boolean calibrating;

        private final Tensors.Copies copies = new Tensors.Copies();

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        @Override
        public Type type() {
            return Type.FEED_FORWARD;
        }

        @Override
        public boolean isPretrainLayer() {
            return false;
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(false);
            QuantizerConfig q = layerConf().getQuant();
            if (!q.isEnabled()) {
                return workspaceMgr.dup(ArrayType.ACTIVATIONS, input);
            }
            float[] x = copies.floats("input", input);
            if (calibrating || (training && q.stage(getIterationCount()) == QuantizerConfig.Stage.OBSERVE)) {
                observe(x, q);
            }
            QuantSpec spec = q.spec(-1);
            FakeQuant.forward(
                    x, x, new float[] {scale()}, new int[] {zeroPoint()}, spec.qmin(), spec.qmax(), 1, x.length);
            return Tensors.inWorkspace(x, input, workspaceMgr, ArrayType.ACTIVATIONS);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(true);
            QuantizerConfig q = layerConf().getQuant();
            Gradient gradient = new DefaultGradient();
            for (String key : KEYS) {
                gradientViews.get(key).assign(0);
                gradient.gradientForVariable().put(key, gradientViews.get(key));
            }
            if (!q.isEnabled()) {
                return new Pair<>(gradient, workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, epsilon));
            }
            QuantSpec spec = q.spec(-1);
            float[] x = copies.floats("input", input);
            float[] g = copies.floats("gradient", epsilon);
            float[] gradScale = new float[1];
            FakeQuant.backward(
                    x,
                    g,
                    new float[] {scale()},
                    new int[] {zeroPoint()},
                    spec.qmin(),
                    spec.qmax(),
                    1,
                    x.length,
                    g,
                    gradScale,
                    FakeQuant.lsqGradScale(x.length, spec.qmax()));
            if (q.stage(getIterationCount()) == QuantizerConfig.Stage.LEARN) {
                gradientViews.get(SCALE).assign(gradScale[0]);
            }
            return new Pair<>(gradient, Tensors.inWorkspace(g, epsilon, workspaceMgr, ArrayType.ACTIVATION_GRAD));
        }

        /** EMA min/max (PyTorch's MovingAverageMinMaxObserver); the first batch initialises the range. */
        private void observe(float[] x, QuantizerConfig q) {
            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            for (float v : x) {
                if (!Float.isFinite(v)) {
                    throw new IllegalStateException("activation quantizer " + QatLayers.name(layerConf())
                            + " observed a non-finite value (" + v + ") at iteration " + getIterationCount()
                            + ": training diverged before this layer");
                }
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            if (getParam(OBSERVED).getDouble(0) > 0) {
                float c = (float) q.getEmaAveragingConstant();
                min = EmaMinMaxObserver.ema(getParam(RUNNING_MIN).getFloat(0), min, c);
                max = EmaMinMaxObserver.ema(getParam(RUNNING_MAX).getFloat(0), max, c);
            }
            QuantParams p = q.spec(-1).paramsFromRange(new float[] {min}, new float[] {max});
            getParam(RUNNING_MIN).assign(min);
            getParam(RUNNING_MAX).assign(max);
            getParam(OBSERVED).assign(1);
            getParam(SCALE).assign(p.scale()[0]);
            getParam(ZERO_POINT).assign(p.zeroPoint()[0]);
        }

        /** The scale, clamped as in {@link WeightScales#forward} should a learning step have pushed it to zero. */
        private float scale() {
            float s = getParam(SCALE).getFloat(0);
            if (s < QuantSpec.MIN_SCALE) {
                getParam(SCALE).assign(QuantSpec.MIN_SCALE);
                return QuantSpec.MIN_SCALE;
            }
            return s;
        }

        private int zeroPoint() {
            return (int) getParam(ZERO_POINT).getDouble(0);
        }
    }
}
