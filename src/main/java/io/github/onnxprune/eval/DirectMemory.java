package io.github.onnxprune.eval;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Frees a direct buffer's memory at once, through {@code sun.misc.Unsafe.invokeCleaner} (module jdk.unsupported,
 * JDK 9 and later; what Lucene and Netty use to unmap and free buffers). Without it the memory is returned only
 * when a collection finds the buffer unreachable, which a heap with little garbage may not need for minutes.
 * Where the method is missing, the buffer is left to the collector as before.
 */
final class DirectMemory {

    // Null when this JVM has no usable invokeCleaner.
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        Method invokeCleaner = null;
        try {
            Class<?> type = Class.forName("sun.misc.Unsafe");
            Field field = type.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            unsafe = field.get(null);
            invokeCleaner = type.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            unsafe = null;
            invokeCleaner = null;
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = invokeCleaner;
    }

    private DirectMemory() {
    }

    /**
     * Frees {@code buffer}'s memory now; true when it was freed, false when it is left to the collector. The caller
     * guarantees that nothing reads or writes the buffer afterwards: a freed buffer's address may be reused.
     */
    static boolean free(ByteBuffer buffer) {
        if (INVOKE_CLEANER == null || !buffer.isDirect()) {
            return false;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, buffer);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            // A view or duplicate has no cleaner of its own (IllegalArgumentException): the collector frees it.
            return false;
        }
    }
}
