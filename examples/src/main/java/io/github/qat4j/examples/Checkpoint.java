package io.github.qat4j.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.deeplearning4j.util.ModelSerializer;

/**
 * A training stage's checkpoint: the network with its updater state plus, inside the same zip, the
 * settings it was trained with and the epochs done so far. Written to a temporary file and renamed
 * over the old one, so an interrupt (Ctrl-C) at any moment leaves the last complete checkpoint.
 *
 * @param net the network after {@link #epochsDone()} epochs
 * @param settings what the stage was asked to do; a checkpoint is only reused or resumed for equal settings
 * @param history one entry per finished epoch
 */
public record Checkpoint(Net net, String settings, List<EpochStats> history) {
    private static final String SETTINGS = "qat4j-settings";
    private static final String HISTORY = "qat4j-history";

    public Checkpoint {
        history = List.copyOf(history);
    }

    /** The last finished epoch (a QAT stage's epoch 0 is its calibration). */
    public int epochsDone() {
        return history.isEmpty() ? 0 : history.get(history.size() - 1).epoch();
    }

    void write(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        net.save(tmp);
        ModelSerializer.addObjectToFile(tmp.toFile(), SETTINGS, settings);
        ModelSerializer.addObjectToFile(tmp.toFile(), HISTORY, new ArrayList<>(history));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The checkpoint in {@code file}, if there is one. */
    public static Optional<Checkpoint> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Net net = Net.load(file);
        String settings = ModelSerializer.getObjectFromFile(file.toFile(), SETTINGS);
        List<EpochStats> history = ModelSerializer.getObjectFromFile(file.toFile(), HISTORY);
        return Optional.of(new Checkpoint(net, settings, history));
    }
}
