/**
 * The pipeline that the {@code qat} commands run: float training ({@code Trainer}, also on Spark),
 * {@code Qat.prepare}, calibration and QAT fine-tuning with checkpoints, int8 export and evaluation with
 * the runtime alone, the mixed-precision search, and the results and report with their charts; the
 * model definitions ({@link io.github.qat4j.examples.Models}) and updaters beside them. Classes that
 * saved files name stay here: {@code EpochStats} is Java-serialized into checkpoints and
 * {@link io.github.qat4j.examples.LinearDecaySchedule} is written into a saved network's JSON. Depends
 * on the library modules only; the command line ({@code cli}) and the benchmarks ({@code bench}) build on it.
 */
package io.github.qat4j.examples;
