package io.tandem.role.proxy.internal;

import java.util.Map;

/** What {@code proxy:status} shows; registered by the running proxy. */
public interface ProxyStatus {

    /** Where the proxy listens, e.g. {@code http://127.0.7.3:8080}. */
    String listening();

    /** Whether it accepts connections right now. */
    boolean up();

    /** Counters since the role started ({@link ProxyStats#snapshot()}). */
    Map<String, Long> counters();

    /** Accounts whose route is remembered, per Mailstore. */
    Map<String, Integer> routesPerMailstore();
}
