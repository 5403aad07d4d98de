/**
 * From a trained QAT network to a model for another runtime: {@link io.github.qat4j.layers.export.Int8Exporter}
 * writes qat-core's int8 format, {@link io.github.qat4j.layers.export.OnnxExporter} ONNX (QDQ or float),
 * {@link io.github.qat4j.layers.export.DynamicExporter} a float MLP with dynamically quantized dense layers,
 * and {@link io.github.qat4j.layers.export.Int8Comparison} checks an exported model against the network it
 * came from, tensor by tensor. Depends on {@code io.github.qat4j.layers} and qat-core, not on
 * {@code prepare}: it exports whatever network holds the QAT layers.
 */
package io.github.qat4j.layers.export;
