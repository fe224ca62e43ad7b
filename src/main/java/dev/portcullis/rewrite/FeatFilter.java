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
    private final List<String> provided;

    /**
     * @param hiddenFeatures   features removed from the backend's list
     * @param providedFeatures features the proxy implements itself whatever the backend does
     *                         (EPSV, EPRT), added when the backend does not list them
     */
    public FeatFilter(Set<String> hiddenFeatures, List<String> providedFeatures) {
        this.hidden = Set.copyOf(hiddenFeatures);
        this.provided = List.copyOf(providedFeatures);
    }

    public FtpReply filter(FtpReply reply) {
        if (reply.isNegative() && !provided.isEmpty()) {
            // Some servers refuse FEAT before login (Apache FtpServer: 530); a client deciding
            // whether to use AUTH TLS must still learn what the proxy itself provides.
            List<String> own = new ArrayList<>();
            own.add("211-Features:");
            provided.forEach(f -> own.add(" " + f));
            own.add("211 End");
            return FtpReply.ofLines(211, own);
        }
        if (reply.code() != 211 || reply.lines().size() < 2) {
            return reply;
        }
        List<String> kept = new ArrayList<>();
        boolean changed = false;
        List<String> lines = reply.lines();
        Set<String> present = new java.util.HashSet<>();
        for (int i = 0; i < lines.size() - 1; i++) {
            String line = lines.get(i);
            if (i > 0 && hidden.contains(featureName(line))) {
                changed = true;
                continue;
            }
            if (i > 0) {
                present.add(featureName(line));
            }
            kept.add(line);
        }
        for (String feature : provided) {
            if (!present.contains(featureName(feature))) {
                kept.add(" " + feature);
                changed = true;
            }
        }
        kept.add(lines.get(lines.size() - 1));
        return changed ? FtpReply.ofLines(reply.code(), kept) : reply;
    }

    static String featureName(String line) {
        String t = line.strip();
        int space = t.indexOf(' ');
        return (space < 0 ? t : t.substring(0, space)).toUpperCase(Locale.ROOT);
    }
}
