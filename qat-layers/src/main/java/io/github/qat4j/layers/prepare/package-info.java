/**
 * From a float network to a QAT one: {@link io.github.qat4j.layers.prepare.Qat#prepare} walks a
 * {@code MultiLayerNetwork} or {@code ComputationGraph}, replaces each weight layer by its QAT version,
 * puts activation quantizers where the int8 runtime requantizes, folds each convolution + BatchNorm pair
 * into one layer ({@code BatchNormFusion}), and copies the trained parameters over;
 * {@link io.github.qat4j.layers.prepare.QatConfig} says what it makes. Also the switches of a QAT schedule
 * (calibrate, toggle fake quantization, disable observers). Depends on {@code io.github.qat4j.layers}.
 */
package io.github.qat4j.layers.prepare;
