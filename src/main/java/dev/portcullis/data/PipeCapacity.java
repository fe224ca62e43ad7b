package dev.portcullis.data;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.util.Optional;
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
    /** Why pipes cannot grow here (empty where they can); set once, before {@link #FCNTL}. */
    private static String unavailableBecause = "";
    private static final MethodHandle FCNTL = lookUpFcntl();
    private static volatile boolean refusalLogged;

    private PipeCapacity() {
    }

    /** Whether pipes can be grown on this JVM. */
    static boolean available() {
        return FCNTL != null;
    }

    /** Why they cannot (for the start line): an old JDK, or native access refused. */
    static String unavailableBecause() {
        return unavailableBecause;
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

    private static MethodHandle lookUpFcntl() {
        try {
            Class<?> linkerType = Class.forName("java.lang.foreign.Linker");
            Class<?> lookupType = Class.forName("java.lang.foreign.SymbolLookup");
            Class<?> layoutType = Class.forName("java.lang.foreign.MemoryLayout");
            Class<?> descriptorType = Class.forName("java.lang.foreign.FunctionDescriptor");
            Class<?> segmentType = Class.forName("java.lang.foreign.MemorySegment");
            Class<?> optionType = Class.forName("java.lang.foreign.Linker$Option");
            Object linker = linkerType.getMethod("nativeLinker").invoke(null);
            Object lookup = linkerType.getMethod("defaultLookup").invoke(linker);
            Optional<?> fcntl = (Optional<?>) lookupType.getMethod("find", String.class).invoke(lookup, "fcntl");
            if (fcntl.isEmpty()) {
                unavailableBecause = "fcntl not found in the C library";
                return null;
            }
            Object javaInt = Class.forName("java.lang.foreign.ValueLayout").getField("JAVA_INT").get(null);
            Object args = Array.newInstance(layoutType, 3);
            for (int i = 0; i < 3; i++) {
                Array.set(args, i, javaInt);
            }
            Object descriptor = descriptorType.getMethod("of", layoutType, args.getClass()).invoke(null, javaInt, args);
            // fcntl(int, int, ...): the third argument is variadic.
            Object options = Array.newInstance(optionType, 1);
            Array.set(options, 0, optionType.getMethod("firstVariadicArg", int.class).invoke(null, 2));
            return (MethodHandle) linkerType.getMethod("downcallHandle", segmentType, descriptorType, options.getClass())
                    .invoke(linker, fcntl.get(), descriptor, options);
        } catch (ClassNotFoundException e) {
            unavailableBecause = "growing them needs Java 22 or later (this is " + Runtime.version().feature() + ")";
            return null;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
            unavailableBecause = "fcntl unreachable (" + cause + "; run with --enable-native-access=ALL-UNNAMED)";
            return null;
        }
    }
}
