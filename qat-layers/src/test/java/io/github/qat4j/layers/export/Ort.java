package io.github.qat4j.layers.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.github.qat4j.layers.onnx.OnnxProto.ModelProto;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** An ONNX Runtime session on an exported model, for tests: float rows in, float rows out. */
final class Ort implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    /**
     * With all of ONNX Runtime's graph optimizations (QDQ fusion into its integer kernels among them),
     * one thread; {@code optimizedModel}, if not null, receives the graph ONNX Runtime actually runs.
     */
    Ort(ModelProto model, Path optimizedModel) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(1);
            if (optimizedModel != null) {
                options.setOptimizedModelFilePath(optimizedModel.toString());
            }
            session = env.createSession(model.toByteArray(), options);
        }
    }

    /** The output for {@code x} ({@code [n, ...]}, any layout the model's input takes), as {@code [n, k]}. */
    float[][] run(INDArray x) throws OrtException {
        float[] data = x.dup('c').data().asFloat();
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), x.shape());
                OrtSession.Result result = session.run(Map.of(OnnxExporter.INPUT, input))) {
            return (float[][]) result.get(OnnxExporter.OUTPUT).orElseThrow().getValue();
        }
    }

    static ModelProto read(Path file) throws IOException {
        return ModelProto.parseFrom(Files.readAllBytes(file));
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
