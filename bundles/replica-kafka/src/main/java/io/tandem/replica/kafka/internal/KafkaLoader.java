package io.tandem.replica.kafka.internal;

import java.util.concurrent.Callable;

/**
 * Runs Kafka client code with this bundle's class loader (which holds the embedded kafka-clients) as the
 * thread context class loader, restored afterwards. Kafka instantiates configured classes (serializers,
 * partitioners, login modules, compression codecs) through the context class loader: every construction
 * and first use of a producer, consumer or admin client goes through here (see shared/STACK.md).
 */
final class KafkaLoader {

    static final ClassLoader LOADER = KafkaLoader.class.getClassLoader();

    private KafkaLoader() {
    }

    static <T> T call(Callable<T> call) throws Exception {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(LOADER);
        try {
            return call.call();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** {@link #call} for code that throws no checked exception. */
    static <T> T get(java.util.function.Supplier<T> supplier) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(LOADER);
        try {
            return supplier.get();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    static void run(Runnable runnable) {
        get(() -> {
            runnable.run();
            return null;
        });
    }
}
