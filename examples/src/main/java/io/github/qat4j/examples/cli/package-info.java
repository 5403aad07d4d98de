/**
 * The {@code qat} command line: {@link io.github.qat4j.examples.cli.QatCli} and its picocli commands
 * ({@code mnist}, {@code cifar10}, {@code quantize}, {@code export}, {@code eval}, {@code inspect},
 * {@code compare}, {@code data}, {@code bench}), which parse options, pick a model and a data set, and
 * hand the work to the pipeline in {@code io.github.qat4j.examples}. Nothing depends on this package.
 */
package io.github.qat4j.examples.cli;
