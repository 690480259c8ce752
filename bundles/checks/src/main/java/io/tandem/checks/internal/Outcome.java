package io.tandem.checks.internal;

/** Result of one check, from best to worst. */
public enum Outcome {
    PASS, WARN, FAIL;

    public Outcome worst(Outcome other) {
        return other.ordinal() > ordinal() ? other : this;
    }
}
