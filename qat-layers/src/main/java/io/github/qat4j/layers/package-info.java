/**
 * The QAT layers, in DL4J's split: serializable layer configurations ({@link io.github.qat4j.layers.QatDense},
 * {@link io.github.qat4j.layers.QatConvolution2D} and the others, {@link io.github.qat4j.layers.FakeQuantLayer}
 * for activations, the BatchNorm-folded convolutions) with their implementations, parameter initializer,
 * quantizer settings ({@link io.github.qat4j.layers.QuantizerConfig}) and the fake-quantized forward and
 * STE/LSQ backward passes of their weights. Saved networks name these classes in their JSON, so they stay
 * in this package. Depends on qat-core and DL4J/ND4J only, never on the subpackages: preparing a network
 * ({@code prepare}), exporting it ({@code export}) and analysing it ({@code analysis}) build on this one.
 */
package io.github.qat4j.layers;
