package dev.portcullis.data.splice;

import java.lang.invoke.MethodHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Grows the splice pipes beyond Linux's default of 16 pages with fcntl(F_SETPIPE_SZ).
 *
 * <p>Why: a pipe holds 16 buffers (64 KiB), so every splice moves at most that much and every
 * 64 KiB costs two system calls and a TCP push. A 1 MiB pipe moves a window's worth per call.
 * Neither the JDK nor Netty offers fcntl; the foreign-function API of JDK 22+ does, so it is reached
 * by reflection (the code is built for Java 17). On older JDKs, or where the kernel refuses
 * (pipe-max-size, per-user pipe limits), the pipes keep their default size and nothing else changes.
 */
final class PipeCapacity {

    private static final Logger log = LoggerFactory.getLogger("portcullis.data");
    private static final int F_SETPIPE_SZ = 1031;
    private static final dev.portcullis.os.LibcCall FCNTL_CALL = dev.portcullis.os.LibcCall.lookUp("fcntl", 3, 2);
    private static final MethodHandle FCNTL = FCNTL_CALL.handle();
    private static volatile boolean refusalLogged;

    private PipeCapacity() {
    }

    /** Whether pipes can be grown on this JVM. */
    static boolean available() {
        return FCNTL != null;
    }

    /** Why they cannot (for the start line): an old JDK, or native access refused. */
    static String unavailableBecause() {
        return FCNTL_CALL.unavailableBecause().startsWith("needs Java")
                ? "growing them " + FCNTL_CALL.unavailableBecause() : FCNTL_CALL.unavailableBecause();
    }

    /** The kernel would not grow a pipe: said once, since it will say the same for the next ones. */
    static void refused(int bytes) {
        if (!refusalLogged) {
            refusalLogged = true;
            log.warn("the kernel refused to grow a splice pipe to {} bytes (fs.pipe-max-size, fs.pipe-user-pages-soft);"
                    + " transfers keep pipes of the default size", bytes);
        }
    }

    /** Asks for {@code bytes}; returns the pipe's size afterwards, or -1 where it cannot be set. */
    static int grow(int pipeFd, int bytes) {
        if (FCNTL == null) {
            return -1;
        }
        try {
            return (int) FCNTL.invokeExact(pipeFd, F_SETPIPE_SZ, bytes);
        } catch (Throwable e) {
            return -1;
        }
    }
}
