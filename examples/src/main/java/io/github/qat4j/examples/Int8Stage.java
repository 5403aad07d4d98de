package io.github.qat4j.examples;

import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.datasets.ImageSet;
import io.github.qat4j.layers.export.Int8Comparison;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's int8 step: export the QAT network to qat-core's model format, then measure the
 * file with the runtime alone ({@link Int8Evaluation}) and against the QAT network tensor by tensor
 * ({@link Int8Comparison}).
 *
 * @param evaluation the int8 model's measurements, or null when there is no int8 model
 * @param comparison the file's tensors against the QAT network's on the report's images, or null
 * @param missing why there is no int8 model (a layer the exporter does not take), or null
 */
record Int8Stage(Int8Evaluation evaluation, Int8Comparison comparison, String missing) {
    private static final Logger log = LoggerFactory.getLogger(Int8Stage.class);

    boolean exported() {
        return evaluation != null;
    }

    /** @param sample the images, normalised, of the per-tensor comparison */
    static Int8Stage run(Net qat, Path modelFile, ImageSet test, Evaluator evaluator, INDArray sample)
            throws IOException {
        Path tmp = modelFile.resolveSibling(modelFile.getFileName() + ".tmp");
        try {
            qat.exportInt8(
                    InputType.convolutional(test.height(), test.width(), test.channels()),
                    Net.inputPreprocessing(evaluator.normalization()),
                    tmp);
        } catch (IllegalArgumentException e) {
            // The network trains and reports fine in float; only the int8 model is out of reach.
            log.warn("no int8 model: {}", e.getMessage());
            Files.deleteIfExists(tmp);
            Files.deleteIfExists(modelFile);
            return new Int8Stage(null, null, "the exporter cannot take this network: " + e.getMessage());
        }
        Files.move(tmp, modelFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        log.info("exported {} ({} bytes)", modelFile, Files.size(modelFile));
        Int8Model model = Int8Model.load(modelFile);
        Int8Comparison comparison = qat.compareInt8(model, sample);
        log.info("{}", comparison);
        return new Int8Stage(Int8Evaluation.of(model, modelFile, test, evaluator.normalization()), comparison, null);
    }
}
