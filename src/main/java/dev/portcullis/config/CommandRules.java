package dev.portcullis.config;

import java.util.List;

/**
 * @param denyCommands  verbs, or verb and first argument word, refused with 550 (default: SITE EXEC)
 * @param denyAnonymous refuse USER anonymous/ftp with 530
 */
public record CommandRules(List<String> denyCommands, boolean denyAnonymous) {

    public static final List<String> DEFAULT_DENIED = List.of("SITE EXEC");

    public CommandRules {
        denyCommands = List.copyOf(denyCommands);
    }
}
