package io.tandem.api.config;

import java.lang.reflect.Proxy;

/**
 * The defaults of a component property type (the annotation a DS component reads its configuration through), as
 * an instance of it. A component whose configuration is also checked key by key from the raw properties (to name
 * the key and the bad value in its refusal) takes its defaults from here, so that the annotation stays the only
 * place a default is written.
 */
public final class Defaults {

    private Defaults() {
    }

    /**
     * An element without a default (a key the configuration must give) throws {@link IllegalStateException} when
     * it is asked for.
     *
     * @throws IllegalArgumentException when {@code type} is not an annotation type
     */
    public static <A> A of(Class<A> type) {
        if (!type.isAnnotation()) {
            throw new IllegalArgumentException(type.getName() + " is not an annotation type");
        }
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[]{type}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "annotationType":
                    return type;
                case "toString":
                    return "defaults of " + type.getName();
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "equals":
                    return proxy == args[0];
                default:
                    Object value = method.getDefaultValue();
                    if (value == null) {
                        throw new IllegalStateException(type.getName() + "." + method.getName() + "() has no default");
                    }
                    return value;
            }
        }));
    }
}
