package io.tandem.replica.kafka.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The broker list of the global {@code brokers} ({@code host:port,host:port ...}): parsed, checked and
 * normalised (no blanks, one comma between entries) so that a change of spacing is not a change of
 * brokers.
 */
final class BrokerList {

    private BrokerList() {
    }

    /**
     * The entries of {@code value} (separated by commas and/or blanks); empty when {@code value} is null or
     * blank.
     *
     * @throws IllegalArgumentException an entry is not {@code host:port} with a port 1..65535
     */
    static List<String> parse(String value) {
        List<String> brokers = new ArrayList<>();
        if (value == null) {
            return brokers;
        }
        for (String entry : value.trim().split("[,\\s]+")) {
            if (entry.isEmpty()) {
                continue;
            }
            int colon = entry.lastIndexOf(':');
            String host = colon < 0 ? "" : entry.substring(0, colon);
            String port = colon < 0 ? "" : entry.substring(colon + 1);
            if (host.isEmpty() || !port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                throw new IllegalArgumentException("'" + entry + "' is not host:port (port 1..65535)");
            }
            if (host.startsWith("[") != host.endsWith("]") || (host.contains(":") && !host.startsWith("["))) {
                throw new IllegalArgumentException("'" + entry + "': write an IPv6 address in brackets ([::1]:9092)");
            }
            if (!brokers.contains(entry)) {
                brokers.add(entry);
            }
        }
        return brokers;
    }

    /** {@link #parse} joined with commas: the form used as {@code bootstrap.servers} and compared for changes. */
    static String normalize(String value) {
        return String.join(",", parse(value));
    }

    /** The host of a {@code host:port} entry (without IPv6 brackets). */
    static String host(String broker) {
        String host = broker.substring(0, broker.lastIndexOf(':'));
        return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    }

    static int port(String broker) {
        return Integer.parseInt(broker.substring(broker.lastIndexOf(':') + 1));
    }
}
