package io.github.qat4j.datasets;

import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A DL4J iterator over an {@link ImageSet}: features {@code [b, c, h, w]} (or {@code [b, c*h*w]}
 * when flattened) converted to float per batch, labels one-hot {@code [b, classes]}. The last
 * batch of an epoch may be smaller.
 *
 * <p>With {@link Builder#shuffle(long)} each epoch visits the images in a fresh order that depends
 * only on the seed and the epoch number: epoch {@code e} is what the iterator gives after {@code e}
 * calls of {@link #reset()}. Augmentation draws from a generator seeded the same way, so a run is
 * repeatable end to end.
 *
 * <pre>{@code
 * DataSetIterator train = ImageSetIterator.builder(Mnist.load().train())
 *         .batchSize(64).shuffle(7).subset(10_000, 7).flatten(true).build();   // [64, 784]
 * }</pre>
 */
public final class ImageSetIterator implements DataSetIterator {

    private static final long serialVersionUID = 1L;
    private static final int SHUFFLE = 0;
    private static final int AUGMENTATION = 1;

    private final ImageSet images;
    private final int batchSize;
    private final boolean shuffle;
    private final long shuffleSeed;
    private final RandomCropFlip augmentation;
    private final long augmentationSeed;
    private final float[][] tables;
    private final long[] featureShape;
    private final int[] order;
    private int cursor;
    private int epoch;
    private Random augmentationRandom;
    private DataSetPreProcessor preProcessor;

    private ImageSetIterator(Builder builder, ImageSet images) {
        this.images = images;
        this.batchSize = builder.batchSize;
        this.shuffle = builder.shuffle;
        this.shuffleSeed = builder.shuffleSeed;
        this.augmentation = builder.augmentation;
        this.augmentationSeed = builder.augmentationSeed;
        this.tables = builder.normalization.tables(images.channels());
        this.featureShape = builder.flatten
                ? new long[] {0, images.imageSize()}
                : new long[] {0, images.channels(), images.height(), images.width()};
        this.order = new int[images.size()];
        startEpoch();
    }

    /** A builder for an iterator over {@code images}. */
    public static Builder builder(ImageSet images) {
        return new Builder(images);
    }

    @Override
    public boolean hasNext() {
        return cursor < order.length;
    }

    @Override
    public DataSet next() {
        return next(batchSize);
    }

    @Override
    public DataSet next(int num) {
        if (!hasNext()) {
            throw new NoSuchElementException("epoch finished after " + order.length + " images; call reset()");
        }
        int count = Math.min(num, order.length - cursor);
        int size = images.imageSize();
        int classes = images.numClasses();
        float[] features = new float[count * size];
        float[] labels = new float[count * classes];
        byte[] augmented = augmentation == null ? null : new byte[size];
        for (int i = 0; i < count; i++) {
            int index = order[cursor + i];
            if (augmentation == null) {
                images.convert(images.pixels(), index * size, tables, features, i * size);
            } else {
                augmentation.apply(
                        images.pixels(),
                        index * size,
                        images.channels(),
                        images.height(),
                        images.width(),
                        augmentationRandom,
                        augmented);
                images.convert(augmented, 0, tables, features, i * size);
            }
            labels[i * classes + images.label(index)] = 1f;
        }
        cursor += count;
        long[] shape = featureShape.clone();
        shape[0] = count;
        DataSet batch = new DataSet(
                Nd4j.create(features, shape, DataType.FLOAT),
                Nd4j.create(labels, new long[] {count, classes}, DataType.FLOAT));
        if (preProcessor != null) {
            preProcessor.preProcess(batch);
        }
        return batch;
    }

    @Override
    public int inputColumns() {
        return images.imageSize();
    }

    @Override
    public int totalOutcomes() {
        return images.numClasses();
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    /** Batches are built from immutable bytes into fresh arrays, so prefetching on another thread is safe. */
    @Override
    public boolean asyncSupported() {
        return true;
    }

    /** Starts the next epoch: a new order when shuffling, new augmentation draws when augmenting. */
    @Override
    public void reset() {
        epoch++;
        startEpoch();
    }

    @Override
    public int batch() {
        return batchSize;
    }

    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        this.preProcessor = preProcessor;
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
        return preProcessor;
    }

    @Override
    public List<String> getLabels() {
        return images.classNames();
    }

    private void startEpoch() {
        cursor = 0;
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        if (shuffle) {
            Random random = random(shuffleSeed, SHUFFLE);
            for (int i = order.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        if (augmentation != null) {
            augmentationRandom = random(augmentationSeed, AUGMENTATION);
        }
    }

    /**
     * The generator for this epoch and purpose. The seed goes through SplittableRandom's mixing
     * before the epoch and purpose are added, so neighbouring seeds do not share epochs, and one
     * seed passed to both shuffle and augmentation gives unrelated draws.
     */
    private Random random(long seed, int purpose) {
        long mixedSeed = new SplittableRandom(seed).nextLong();
        return new Random(new SplittableRandom(mixedSeed + 2L * epoch + purpose).nextLong());
    }

    /** Configures an {@link ImageSetIterator}; every setting has a default except the images. */
    public static final class Builder {
        private final ImageSet images;
        private int batchSize = 64;
        private boolean shuffle;
        private long shuffleSeed;
        private Normalization normalization = Normalization.unitRange();
        private boolean flatten;
        private int subsetSize = -1;
        private boolean subsetRandom;
        private long subsetSeed;
        private RandomCropFlip augmentation;
        private long augmentationSeed;

        private Builder(ImageSet images) {
            this.images = images;
        }

        /** Images per batch (default 64). */
        public Builder batchSize(int batchSize) {
            if (batchSize <= 0) {
                throw new IllegalArgumentException("batch size " + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        /** Shuffles each epoch, deterministically from {@code seed} (default: the stored order). */
        public Builder shuffle(long seed) {
            this.shuffle = true;
            this.shuffleSeed = seed;
            return this;
        }

        /** How pixels become floats (default {@link Normalization#unitRange()}). */
        public Builder normalization(Normalization normalization) {
            this.normalization = normalization;
            return this;
        }

        /** Features as {@code [b, c*h*w]} for dense networks instead of {@code [b, c, h, w]} (default false). */
        public Builder flatten(boolean flatten) {
            this.flatten = flatten;
            return this;
        }

        /** Uses only the first {@code n} images. */
        public Builder subset(int n) {
            this.subsetSize = n;
            this.subsetRandom = false;
            return this;
        }

        /** Uses {@code n} images drawn with {@code seed} (see {@link ImageSet#sample(int, long)}). */
        public Builder subset(int n, long seed) {
            this.subsetSize = n;
            this.subsetRandom = true;
            this.subsetSeed = seed;
            return this;
        }

        /**
         * Augments every image: a random crop after {@code padding} zero pixels on each side, then
         * a horizontal flip with probability 1/2, drawn from {@code seed} and the epoch.
         */
        public Builder randomCropFlip(int padding, long seed) {
            return augment(new RandomCropFlip(padding, true), seed);
        }

        /**
         * Augments every image with a random shift: a random crop after {@code padding} zero pixels on
         * each side, no flip, drawn from {@code seed} and the epoch.
         */
        public Builder randomCrop(int padding, long seed) {
            return augment(new RandomCropFlip(padding, false), seed);
        }

        private Builder augment(RandomCropFlip augmentation, long seed) {
            this.augmentation = augmentation;
            this.augmentationSeed = seed;
            return this;
        }

        public ImageSetIterator build() {
            ImageSet selected = images;
            if (subsetSize >= 0) {
                selected = subsetRandom ? images.sample(subsetSize, subsetSeed) : images.first(subsetSize);
            }
            return new ImageSetIterator(this, selected);
        }
    }
}
