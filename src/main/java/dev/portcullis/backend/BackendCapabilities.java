package dev.portcullis.backend;

/**
 * What the proxy learned about a backend: whether it refused EPSV, so that later sessions go
 * straight to PASV instead of paying one refused command each time.
 */
public final class BackendCapabilities {

    private volatile boolean epsvRefused;

    public boolean epsvRefused() {
        return epsvRefused;
    }

    public void markEpsvRefused() {
        epsvRefused = true;
    }
}
