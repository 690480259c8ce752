package io.tandem.role.proxy.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Counters of the proxy since the role started, read by {@code proxy:status}. */
public final class ProxyStats {

    /** Requests received from clients. */
    public final AtomicLong requests = new AtomicLong();
    /** Upstream attempts that failed: connection refused or reset, timeout, or 421 from a Mailstore that is not the owner. */
    public final AtomicLong upstreamErrors = new AtomicLong();
    /** Idempotent requests sent a second time after a 421 or a connection failure. */
    public final AtomicLong retries = new AtomicLong();
    /** 503 answers of the proxy itself (no reachable owner, directory unavailable). */
    public final AtomicLong unavailable = new AtomicLong();
    /** 404 answers of the proxy itself (unknown account, path outside /accounts/). */
    public final AtomicLong notFound = new AtomicLong();

    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("requests", requests.get());
        m.put("upstreamErrors", upstreamErrors.get());
        m.put("retries", retries.get());
        m.put("unavailable", unavailable.get());
        m.put("notFound", notFound.get());
        return m;
    }
}
