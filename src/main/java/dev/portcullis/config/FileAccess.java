package dev.portcullis.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** What a path key must allow when the file is loaded: a file to read, or one to write (made absolute). */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.PARAMETER, ElementType.FIELD})
public @interface FileAccess {
    Kind value();

    enum Kind { READ, WRITE }
}
