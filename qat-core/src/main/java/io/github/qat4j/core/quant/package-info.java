/**
 * The quantization math, one convention everywhere ({@code r = s * (q - z)}): bit widths and ranges
 * ({@link io.github.qat4j.core.quant.QuantSpec}), the rounding rule, fake quantization with its
 * straight-through and LSQ gradients ({@link io.github.qat4j.core.quant.FakeQuant}), fixed-point
 * requantization ({@link io.github.qat4j.core.quant.Requantization}), the calibration observers and
 * quantization statistics. Depends on the JDK (and Commons Math for statistics) only.
 */
package io.github.qat4j.core.quant;
