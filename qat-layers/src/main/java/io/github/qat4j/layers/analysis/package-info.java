/**
 * What quantization costs, layer by layer: {@link io.github.qat4j.layers.analysis.QuantizationReport}
 * (scales, clipping and SQNR of every quantized tensor), {@link io.github.qat4j.layers.analysis.Sensitivity}
 * (the loss and accuracy of each layer's weights at each bit width) and
 * {@link io.github.qat4j.layers.analysis.BitAllocation} (per-layer widths for a model-size budget, a
 * multiple-choice knapsack). Depends on {@code io.github.qat4j.layers}, {@code prepare} (a bit allocation
 * is applied to a {@code QatConfig}; the report switches the quantizers {@code Qat} finds) and qat-core.
 */
package io.github.qat4j.layers.analysis;
