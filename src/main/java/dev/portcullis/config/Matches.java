package dev.portcullis.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** A text key that must match {@code regex} (whole, case-insensitive); {@code expected} is the error's explanation. */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.PARAMETER, ElementType.FIELD})
public @interface Matches {
    String regex();

    String expected();
}
