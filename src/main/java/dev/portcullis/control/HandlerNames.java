package dev.portcullis.control;

/** Pipeline handler names, in one place. */
public final class HandlerNames {
    public static final String PROXY_HEADER_DECODER = "proxy-header-decoder";
    public static final String PROXY_HEADER = "proxy-header";
    public static final String TLS = "tls";
    public static final String IDLE = "idle";
    public static final String COMMAND_DECODER = "command-decoder";
    public static final String REPLY_DECODER = "reply-decoder";
    public static final String CLIENT_CONTROL = "client-control";
    public static final String BACKEND_CONTROL = "backend-control";

    private HandlerNames() {
    }
}
