/**
 * The JMH benchmarks of {@code BENCHMARKS.md}: the int8 GEMM and convolution kernels against float and
 * against ONNX Runtime, the multiply idioms behind the kernels, and LeNet-5 end to end (DL4J float, QAT
 * step, exported int8 model). Run from the examples jar with {@code org.openjdk.jmh.Main}, or through
 * {@code qat bench}. Depends on the library modules and on the model definitions of the examples, never
 * the other way round: nothing outside this package needs JMH.
 */
package io.github.qat4j.examples.bench;
