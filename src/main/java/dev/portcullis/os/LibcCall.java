package dev.portcullis.os;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.util.Optional;

/**
 * A C library function of int arguments returning int (fcntl, socket), called through the
 * foreign-function API of Java 22+. The build targets Java 17, so the API is reached by reflection;
 * on an older JDK, or where native access is refused, {@link #handle()} is null and
 * {@link #unavailableBecause()} says why (for start lines).
 *
 * @param handle             (int...)int, or null
 * @param unavailableBecause why it is null; empty when it is not
 */
public record LibcCall(MethodHandle handle, String unavailableBecause) {

    /**
     * @param name             the C function
     * @param arguments        how many int arguments it takes
     * @param firstVariadicArg the index of its first variadic argument (fcntl: 2), or -1
     */
    public static LibcCall lookUp(String name, int arguments, int firstVariadicArg) {
        try {
            Class<?> linkerType = Class.forName("java.lang.foreign.Linker");
            Class<?> lookupType = Class.forName("java.lang.foreign.SymbolLookup");
            Class<?> layoutType = Class.forName("java.lang.foreign.MemoryLayout");
            Class<?> descriptorType = Class.forName("java.lang.foreign.FunctionDescriptor");
            Class<?> segmentType = Class.forName("java.lang.foreign.MemorySegment");
            Class<?> optionType = Class.forName("java.lang.foreign.Linker$Option");
            Object linker = linkerType.getMethod("nativeLinker").invoke(null);
            Object lookup = linkerType.getMethod("defaultLookup").invoke(linker);
            Optional<?> symbol = (Optional<?>) lookupType.getMethod("find", String.class).invoke(lookup, name);
            if (symbol.isEmpty()) {
                return new LibcCall(null, name + " not found in the C library");
            }
            Object javaInt = Class.forName("java.lang.foreign.ValueLayout").getField("JAVA_INT").get(null);
            Object args = Array.newInstance(layoutType, arguments);
            for (int i = 0; i < arguments; i++) {
                Array.set(args, i, javaInt);
            }
            Object descriptor = descriptorType.getMethod("of", layoutType, args.getClass()).invoke(null, javaInt, args);
            Object options = Array.newInstance(optionType, firstVariadicArg >= 0 ? 1 : 0);
            if (firstVariadicArg >= 0) {
                Array.set(options, 0, optionType.getMethod("firstVariadicArg", int.class).invoke(null, firstVariadicArg));
            }
            MethodHandle h = (MethodHandle) linkerType.getMethod("downcallHandle", segmentType, descriptorType, options.getClass())
                    .invoke(linker, symbol.get(), descriptor, options);
            return new LibcCall(h, "");
        } catch (ClassNotFoundException e) {
            return new LibcCall(null, "needs Java 22 or later (this is " + Runtime.version().feature() + ")");
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
            return new LibcCall(null, name + " unreachable (" + cause + "; run with --enable-native-access=ALL-UNNAMED)");
        }
    }
}
