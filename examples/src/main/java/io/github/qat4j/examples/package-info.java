/**
 * The {@code qat} command line ({@link io.github.qat4j.examples.QatCli} and its picocli commands) and the
 * pipeline those run: float training, {@code Qat.prepare}, calibration, QAT fine-tuning, int8 export,
 * evaluation with the runtime alone, the mixed-precision search, and the report with its charts. An
 * application of every library module; nothing depends on it but the benchmarks in {@code bench}.
 */
package io.github.qat4j.examples;
