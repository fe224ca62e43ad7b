package dev.portcullis.rewrite;

import dev.portcullis.ftp.FtpReply;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Removes from a FEAT reply (RFC 2389) the features the proxy does not relay, so that a client
 * never negotiates something that would break behind it; every other line passes unchanged.
 */
public final class FeatFilter {

    private final Set<String> hidden;

    public FeatFilter(Set<String> hiddenFeatures) {
        this.hidden = Set.copyOf(hiddenFeatures);
    }

    public FtpReply filter(FtpReply reply) {
        if (reply.code() != 211 || reply.lines().size() < 2) {
            return reply;
        }
        List<String> kept = new ArrayList<>();
        boolean changed = false;
        List<String> lines = reply.lines();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            boolean featureLine = i > 0 && i < lines.size() - 1;
            if (featureLine && hidden.contains(featureName(line))) {
                changed = true;
                continue;
            }
            kept.add(line);
        }
        return changed ? FtpReply.ofLines(reply.code(), kept) : reply;
    }

    static String featureName(String line) {
        String t = line.strip();
        int space = t.indexOf(' ');
        return (space < 0 ? t : t.substring(0, space)).toUpperCase(Locale.ROOT);
    }
}
