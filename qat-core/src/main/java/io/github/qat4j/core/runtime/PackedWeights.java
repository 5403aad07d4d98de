package io.github.qat4j.core.runtime;

/**
 * Weights {@code [n][k]} rearranged by {@link Int8Kernels#packWeights} or {@link
 * Int8Kernels#packConvWeights} for one kernel's access pattern; only the kernel that packed them may
 * read {@code data} or {@code ints}.
 *
 * @param data the packed bytes, or null where the kernel keeps them widened
 * @param ints the packed weights widened to int32, or null where the kernel keeps bytes
 * @param n output rows (channels or features)
 * @param k reduction length
 */
record PackedWeights(byte[] data, int[] ints, int n, int k) {}
