package io.tandem.api.directory;

import java.time.Instant;

public record Domain(String name, Instant created) {
}
