package io.tandem.supervisor.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a command written in a configuration file into its arguments, without a shell: words are
 * separated by blanks; '...' keeps everything literally, "..." keeps blanks and honours \" and \\;
 * a backslash outside quotes keeps the next character. No variable, glob or redirection: an operator
 * who wants a shell writes {@code sh -c '...'}.
 */
final class CommandLine {

    private CommandLine() {
    }

    /** @throws IllegalArgumentException for an unterminated quote or a trailing backslash */
    static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\'') {
                int end = text.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated ' at position " + (i + 1));
                }
                word.append(text, i + 1, end);
                inWord = true;
                i = end + 1;
            } else if (c == '"') {
                int j = i + 1;
                while (true) {
                    if (j >= text.length()) {
                        throw new IllegalArgumentException("unterminated \" at position " + (i + 1));
                    }
                    char d = text.charAt(j);
                    if (d == '"') {
                        break;
                    }
                    if (d == '\\' && j + 1 < text.length() && (text.charAt(j + 1) == '"' || text.charAt(j + 1) == '\\')) {
                        word.append(text.charAt(j + 1));
                        j += 2;
                    } else {
                        word.append(d);
                        j++;
                    }
                }
                inWord = true;
                i = j + 1;
            } else if (c == '\\') {
                if (i + 1 >= text.length()) {
                    throw new IllegalArgumentException("trailing \\");
                }
                word.append(text.charAt(i + 1));
                inWord = true;
                i += 2;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    out.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                i++;
            } else {
                word.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            out.add(word.toString());
        }
        return out;
    }
}
