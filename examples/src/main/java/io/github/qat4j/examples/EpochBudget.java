package io.github.qat4j.examples;

/**
 * How many more epochs this invocation may train, over all stages: unlimited normally; a test sets
 * it to stop a run part-way, exactly as Ctrl-C after a checkpoint would, and then checks {@code --resume}.
 */
final class EpochBudget {
    private int left;

    /** @param epochs the number of epochs allowed, or a negative number for no limit */
    EpochBudget(int epochs) {
        this.left = epochs;
    }

    /** Claims one epoch; false once the budget is spent. */
    boolean take() {
        if (left == 0) {
            return false;
        }
        if (left > 0) {
            left--;
        }
        return true;
    }
}
