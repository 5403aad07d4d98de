/**
 * The integer-only int8 runtime: the model format ({@link io.github.qat4j.core.runtime.ModelFormat}, a
 * strict reader and a writer), the model a consumer loads ({@link io.github.qat4j.core.runtime.Int8Model},
 * built by {@link io.github.qat4j.core.runtime.Int8ModelBuilder}), the graph executor, and the kernels:
 * scalar reference ones and Vector API ones tested against them bit for bit. Depends on
 * {@code io.github.qat4j.core.quant} and the JDK only, so a consumer of an exported model needs this jar alone.
 */
package io.github.qat4j.core.runtime;
