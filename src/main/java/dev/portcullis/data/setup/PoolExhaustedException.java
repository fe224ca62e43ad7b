package dev.portcullis.data.setup;

/** No passive port could be bound: the pool is empty, or every port tried was taken by another process. */
public final class PoolExhaustedException extends Exception {

    public PoolExhaustedException(String message) {
        super(message, null, false, false);
    }
}
