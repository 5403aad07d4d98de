package io.github.qat4j.examples.cli;

import io.github.qat4j.datasets.DatasetInstaller;
import io.github.qat4j.datasets.ImageSet;
import io.github.qat4j.datasets.TrainTest;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code qat data mnist|cifar10}: installs a data set (verified) and prints what it holds. */
@Command(
        name = "data",
        mixinStandardHelpOptions = true,
        description = "Install a data set into the cache (checksum-verified) and print its summary.")
final class DataCommand implements Callable<Integer> {
    enum Name {
        mnist,
        cifar10
    }

    @Parameters(index = "0", description = "mnist or cifar10")
    Name name;

    @Option(names = "--data-dir", description = "Data root (default: $QAT4J_DATA_DIR or ~/.qat4j/datasets)")
    Path dataDir;

    @Option(names = "--source-dir", description = "A directory that already holds the raw files, tried first")
    Path sourceDir;

    @Override
    public Integer call() {
        DatasetInstaller installer = name == Name.mnist ? DatasetInstaller.mnist() : DatasetInstaller.cifar10();
        if (dataDir != null) {
            installer.dataRoot(dataDir);
        }
        if (sourceDir != null) {
            installer.sourceDir(sourceDir);
        }
        Path dir = installer.install();
        TrainTest data = name == Name.mnist
                ? io.github.qat4j.datasets.Mnist.read(dir)
                : io.github.qat4j.datasets.Cifar10.read(dir);
        System.out.println(name + " in " + dir + " (sha256 verified)");
        print("train", data.train());
        print("test", data.test());
        return 0;
    }

    private static void print(String split, ImageSet set) {
        double[] mean = set.channelMean();
        double[] std = set.channelStd();
        StringBuilder stats = new StringBuilder();
        for (int c = 0; c < mean.length; c++) {
            stats.append(String.format(Locale.ROOT, " %.4f/%.4f", mean[c], std[c]));
        }
        System.out.printf(
                Locale.ROOT,
                "%-5s %6d images %dx%dx%d, pixel mean/std per channel:%s%n",
                split,
                set.size(),
                set.channels(),
                set.height(),
                set.width(),
                stats);
        int[] counts = set.classCounts();
        StringBuilder line = new StringBuilder("      per class:");
        for (int k = 0; k < counts.length; k++) {
            line.append(' ').append(set.classNames().get(k)).append('=').append(counts[k]);
        }
        System.out.println(line);
    }
}
