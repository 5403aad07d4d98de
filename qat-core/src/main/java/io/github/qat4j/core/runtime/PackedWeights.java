package io.github.qat4j.core.runtime;

/**
 * Weights {@code [n][k]} rearranged by {@link Int8Kernels#packWeights} for one kernel's access
 * pattern; only the kernel that packed them may read {@code data}.
 *
 * @param data the packed bytes
 * @param n output rows (channels or features)
 * @param k reduction length
 */
record PackedWeights(byte[] data, int n, int k) {}
