package dev.portcullis.control;

import dev.portcullis.ftp.ExtendedHostPort;
import dev.portcullis.ftp.FtpCommand;
import dev.portcullis.ftp.HostPort;
import dev.portcullis.ftp.Verbs;
import dev.portcullis.rewrite.FeatFilter;
import java.util.HashMap;
import java.util.Map;

/**
 * What the proxy does with each verb once a backend is known and the command passed the session's
 * checks (TLS policy, command policy). A verb not in the table goes to the backend byte-exact and
 * its reply back unchanged. Built once: the handlers take their session as an argument.
 */
final class CommandTable {

    @FunctionalInterface
    interface Handler {
        void handle(ControlSession session, ReplySlot slot, FtpCommand c);
    }

    private static final Handler FORWARD = (s, slot, c) -> s.forward(c, r -> s.passThrough(slot, r));
    private static final Map<String, Handler> HANDLERS = build();

    private CommandTable() {
    }

    static Handler handlerFor(String verb) {
        return HANDLERS.getOrDefault(verb, FORWARD);
    }

    private static Map<String, Handler> build() {
        Map<String, Handler> m = new HashMap<>();
        m.put("PASV", (s, slot, c) -> s.data().onPassive(slot, c, false));
        m.put("EPSV", (s, slot, c) -> s.data().onExtendedPassive(slot, c));
        m.put("PORT", (s, slot, c) -> s.data().onActive(slot, c, HostPort.parsePortArgument(c.argument())));
        m.put("EPRT", (s, slot, c) -> s.data().onActive(slot, c, ExtendedHostPort.parseEprtArgument(c.argument())));
        for (String verb : Verbs.LONG_ADDRESS) {
            // 500, as vsftpd, ProFTPD and Pure-FTPd answer the verbs they do not know.
            m.put(verb, (s, slot, c) -> s.replies().reply(slot, 500, c.verb() + " is not supported; use EPSV or EPRT."));
        }
        for (String verb : Verbs.TRANSFER) {
            m.put(verb, (s, slot, c) -> s.transfers().onTransfer(slot, c));
        }
        m.put("ABOR", (s, slot, c) -> s.transfers().onAbort(slot, c));
        m.put("TYPE", (s, slot, c) -> s.transfers().onType(slot, c));
        m.put("USER", (s, slot, c) -> s.login().forwardLogin(slot, c));
        m.put("PASS", (s, slot, c) -> s.login().forwardLogin(slot, c));
        m.put("ACCT", (s, slot, c) -> s.login().forwardLogin(slot, c));
        m.put("QUIT", (s, slot, c) -> s.forward(c, r -> {
            slot.closeOutcome = r.isPreliminary() ? null : "quit";
            s.passThrough(slot, r);
        }));
        m.put("FEAT", (s, slot, c) -> {
            FeatFilter feat = s.security().available() ? s.ctx().featFilter() : s.ctx().featFilterWithoutTls();
            s.forward(c, r -> s.passThrough(slot, r.isPreliminary() ? r : feat.filter(r)));
        });
        return Map.copyOf(m);
    }
}
