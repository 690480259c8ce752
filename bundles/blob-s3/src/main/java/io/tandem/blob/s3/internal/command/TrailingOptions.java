package io.tandem.blob.s3.internal.command;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Options written after the arguments, as in the seed's grammar
 * ({@code core:doCreateBucket MinIO mail key secret http://s3:9000 --region us-east-1}). Karaf reads
 * options only before the first argument, so these commands take their trailing words as a last,
 * multi-valued argument and parse them here. Unknown words are refused, naming them.
 */
final class TrailingOptions {

    private TrailingOptions() {
    }

    /**
     * @param flags  options without a value ({@code --centralized})
     * @param valued options followed by a value ({@code --region R})
     * @return option name to value ({@code "true"} for flags)
     */
    static Map<String, String> parse(List<String> words, Set<String> flags, Set<String> valued) {
        Map<String, String> out = new LinkedHashMap<>();
        if (words == null) {
            return out;
        }
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if (flags.contains(w)) {
                out.put(w, "true");
            } else if (valued.contains(w)) {
                if (i + 1 >= words.size()) {
                    throw new IllegalArgumentException(w + " needs a value");
                }
                out.put(w, words.get(++i));
            } else {
                Set<String> known = new TreeSet<>(flags);
                known.addAll(valued);
                throw new IllegalArgumentException("unexpected argument '" + w + "' (options here: "
                        + (known.isEmpty() ? "none" : String.join(", ", known)) + ")");
            }
        }
        return out;
    }
}
