/**
 * The JMH benchmarks of {@code BENCHMARKS.md}: the int8 GEMM and convolution kernels against float and
 * against ONNX Runtime, the multiply idioms behind the kernels, and LeNet-5 end to end (DL4J float, QAT
 * step, exported int8 model), run from the examples jar with {@code org.openjdk.jmh.Main}. Depends on
 * the library modules and on the model definitions in {@code io.github.qat4j.examples}; nothing depends
 * on this package.
 */
package io.github.qat4j.examples.bench;
