package dev.portcullis.policy;

/** The outcome of a policy check: allowed, or refused with the FTP reply to give and a reason tag. */
public record Verdict(boolean allowed, int replyCode, String replyText, String reason) {

    private static final Verdict ALLOW = new Verdict(true, 0, "", "");

    public static Verdict allow() {
        return ALLOW;
    }

    public static Verdict refuse(int replyCode, String replyText, String reason) {
        return new Verdict(false, replyCode, replyText, reason);
    }
}
