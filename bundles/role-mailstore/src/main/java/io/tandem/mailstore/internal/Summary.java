package io.tandem.mailstore.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Subject, From and To of a message, read from its header (unfolded; encoded words left as they are). */
public record Summary(String subject, String from, String to) {

    private static final int MAX_HEADER_LINES = 2000;

    public static Summary of(Path message) {
        java.util.Map<String, String> fields = new java.util.HashMap<>();
        try (BufferedReader in = Files.newBufferedReader(message, StandardCharsets.ISO_8859_1)) {
            String current = null;
            String line;
            int lines = 0;
            while ((line = in.readLine()) != null && !line.isEmpty() && lines++ < MAX_HEADER_LINES) {
                if ((line.startsWith(" ") || line.startsWith("\t")) && current != null) {
                    current = current + " " + line.trim(); // folded header line
                } else {
                    keep(fields, current);
                    current = line;
                }
            }
            keep(fields, current);
        } catch (IOException e) {
            // a summary is a convenience: the blob holds the message
        }
        return new Summary(fields.getOrDefault("subject", ""), fields.getOrDefault("from", ""), fields.getOrDefault("to", ""));
    }

    private static void keep(java.util.Map<String, String> fields, String headerLine) {
        if (headerLine != null) {
            String[] kv = field(headerLine);
            fields.putIfAbsent(kv[0], kv[1]);
        }
    }

    private static String[] field(String line) {
        int colon = line.indexOf(':');
        if (colon <= 0) {
            return new String[] {"", ""};
        }
        return new String[] {line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim()};
    }
}
