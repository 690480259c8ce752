package io.tandem.api.test;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

/**
 * Builds a component's typed configuration ({@code @interface Config}) for unit tests, the way
 * Declarative Services does: a value from the map by method name ({@code node_name}), else the
 * method's default, else {@code null} / zero / {@code false}. String values are converted to the
 * method's primitive type.
 */
public final class ConfigProxy {

    private ConfigProxy() {
    }

    public static <A> A of(Class<A> type, Map<String, ?> values) {
        Map<String, Object> copy = new HashMap<>(values); // allows null values
        for (String key : copy.keySet()) {
            try {
                type.getMethod(key);
            } catch (NoSuchMethodException e) {
                throw new IllegalArgumentException(type.getName() + " has no attribute " + key);
            }
        }
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (proxy, method, args) -> switch (method.getName()) {
                    case "annotationType" -> type;
                    case "toString" -> type.getSimpleName() + copy;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> value(method, copy);
                }));
    }

    private static Object value(Method method, Map<String, Object> values) {
        Class<?> t = method.getReturnType();
        if (values.containsKey(method.getName())) {
            Object v = values.get(method.getName());
            if (v instanceof String s && t != String.class) {
                if (t == int.class) {
                    return Integer.parseInt(s.trim());
                } else if (t == long.class) {
                    return Long.parseLong(s.trim());
                } else if (t == boolean.class) {
                    return Boolean.parseBoolean(s.trim());
                }
            }
            if (v == null && t.isPrimitive()) {
                return zero(t);
            }
            return v;
        }
        Object def = method.getDefaultValue();
        if (def != null) {
            return def;
        }
        return t.isPrimitive() ? zero(t) : null;
    }

    private static Object zero(Class<?> t) {
        if (t == boolean.class) {
            return false;
        } else if (t == int.class) {
            return 0;
        } else if (t == long.class) {
            return 0L;
        } else if (t == double.class) {
            return 0d;
        } else if (t == float.class) {
            return 0f;
        } else if (t == short.class) {
            return (short) 0;
        } else if (t == byte.class) {
            return (byte) 0;
        }
        return '\0';
    }
}
