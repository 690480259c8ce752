package io.tandem.api.node;

import java.util.Objects;

/** Health of a role or of the node: up or down, with a short reason an operator can read. */
public record Health(boolean up, String detail) {

    public Health {
        Objects.requireNonNull(detail, "detail");
    }

    public static Health up(String detail) {
        return new Health(true, detail);
    }

    public static Health down(String detail) {
        return new Health(false, detail);
    }

    public String status() {
        return up ? "UP" : "DOWN";
    }
}
