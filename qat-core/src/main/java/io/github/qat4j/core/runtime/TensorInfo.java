package io.github.qat4j.core.runtime;

import java.util.Arrays;

/**
 * An activation tensor of one image: its shape ({@code [c, h, w]} in NCHW order or {@code [n]})
 * and its quantization, or {@code null} for the float logits a dequantizing last op produces.
 */
record TensorInfo(int[] shape, TensorQuantization quantization) {

  /** Largest tensor (values per image) a model may have: 16 Mi, far above any CIFAR-sized net. */
  static final int MAX_ELEMENTS = 1 << 24;

  TensorInfo {
    shape = shape.clone();
    if (shape.length != 1 && shape.length != 3) {
      throw new IllegalArgumentException("shape must be [n] or [c, h, w], got " + Arrays.toString(shape));
    }
    long size = 1;
    for (int d : shape) {
      if (d <= 0) {
        throw new IllegalArgumentException("dimensions must be positive, got " + Arrays.toString(shape));
      }
      size *= d;
      if (size > MAX_ELEMENTS) {
        throw new IllegalArgumentException("tensor " + Arrays.toString(shape) + " exceeds " + MAX_ELEMENTS
            + " values");
      }
    }
  }

  int size() {
    int size = 1;
    for (int d : shape) {
      size *= d;
    }
    return size;
  }

  boolean spatial() {
    return shape.length == 3;
  }

  @Override
  public int[] shape() {
    return shape.clone();
  }

  int dim(int i) {
    return shape[i];
  }

  @Override
  public String toString() {
    return Arrays.toString(shape) + (quantization == null ? " float" : " " + quantization);
  }
}
