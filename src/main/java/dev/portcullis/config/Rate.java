package dev.portcullis.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** A key that is a data rate (10MiB/s, 100Mbit/s, bytes per second; 0: no limit), see {@link ConfigValues#rate}. */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.PARAMETER, ElementType.FIELD})
public @interface Rate {
}
