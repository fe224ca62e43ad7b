package dev.portcullis.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Keeps the documented config reference (docs/configuration.md) and the loader's accepted keys the same set. */
class ReadmeConfigReferenceTest {

    @Test
    void everyKeyIsDocumentedAndEveryDocumentedKeyExists() throws Exception {
        String readme = Files.readString(Path.of("docs", "configuration.md"));
        int start = readme.indexOf("## Config reference");
        int end = readme.indexOf("\n## ", start + 1);
        end = end < 0 ? readme.length() : end;
        assertThat(start).as("docs/configuration.md has a Config reference section").isPositive();
        SortedSet<String> documented = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^\\| `([^`]+)` \\|").matcher(readme.substring(start, end));
        while (m.find()) {
            documented.add(m.group(1));
        }
        assertThat(documented).isEqualTo(ConfigLoader.knownKeys());
    }
}
