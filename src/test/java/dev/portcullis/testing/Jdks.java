package dev.portcullis.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Finds JDKs on this machine other than the one running the tests (the build targets 17; some features need newer). */
public final class Jdks {

    private static final Pattern VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)");

    private Jdks() {
    }

    /**
     * A {@code java} of release 22 or later (the foreign-function API is final there):
     * {@code PORTCULLIS_TEST_JDK22} if set, the running JDK if new enough, else one under /usr/lib/jvm.
     */
    public static Optional<Path> javaAtLeast22() throws IOException {
        String env = System.getenv("PORTCULLIS_TEST_JDK22");
        if (env != null && !env.isBlank()) {
            return Optional.of(Path.of(env, "bin", "java"));
        }
        return javaAtLeast(22);
    }

    /** A {@code java} of release {@code feature} or later: the running JDK if new enough, else one under /usr/lib/jvm. */
    public static Optional<Path> javaAtLeast(int feature) throws IOException {
        if (Runtime.version().feature() >= feature) {
            return Optional.of(Path.of(System.getProperty("java.home"), "bin", "java"));
        }
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        try (Stream<Path> homes = Files.list(jvms)) {
            return homes.filter(h -> feature(h) >= feature).map(h -> h.resolve("bin/java")).filter(Files::isExecutable).sorted().findFirst();
        }
    }

    private static int feature(Path home) {
        try {
            Matcher m = VERSION.matcher(Files.readString(home.resolve("release")));
            return m.find() ? Integer.parseInt(m.group(1)) : 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
