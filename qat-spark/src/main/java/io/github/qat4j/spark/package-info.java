/**
 * Quantization-aware fine-tuning on Apache Spark through DL4J's own Spark module, with parameter
 * averaging ({@link org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster}).
 * {@link io.github.qat4j.spark.QatSpark} says what merging means for the QAT layers' state and
 * refuses a network whose quantizers would be merged wrongly. Kept out of qat-layers so that
 * single-machine users have no Spark on their classpath.
 */
package io.github.qat4j.spark;
