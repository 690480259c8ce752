package io.tandem.blob.s3.internal;

import io.minio.MinioClient;
import io.tandem.api.blob.BucketConfig;
import org.junit.After;
import org.junit.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertSame;

/** One MinIO client per bucket configuration: reused while it is the same, rebuilt when it changes. */
public class S3ClientCacheTest {

    private final S3Store store = new S3Store(Duration.ofSeconds(1), Duration.ofSeconds(1),
            Path.of(System.getProperty("java.io.tmpdir")), 1024);

    @After
    public void tearDown() {
        store.close();
    }

    @Test
    public void clientsAreCachedPerConfigurationAndRebuiltOnChange() {
        UUID id = UUID.randomUUID();
        BucketConfig b = new BucketConfig(id, "MinIO", "http://127.0.0.1:9000", "mail", "us-east-1", "access", "secret1");
        MinioClient first = store.client(b);
        assertSame(first, store.client(new BucketConfig(id, "MinIO", "http://127.0.0.1:9000", "mail", "us-east-1", "access", "secret1")));
        MinioClient second = store.client(new BucketConfig(id, "MinIO", "http://127.0.0.1:9000", "mail", "us-east-1", "access", "secret2"));
        assertNotSame("a new secret means a new client", first, second);
        assertSame(second, store.client(new BucketConfig(id, "MinIO", "http://127.0.0.1:9000", "mail", "us-east-1", "access", "secret2")));
        assertNotSame("a new endpoint means a new client", second,
                store.client(new BucketConfig(id, "MinIO", "http://127.0.0.1:9001", "mail", "us-east-1", "access", "secret2")));
        assertEquals(1, store.cachedClients());

        UUID other = UUID.randomUUID();
        store.client(new BucketConfig(other, "S3", "http://127.0.0.1:9000", "mail2", "", "access", "secret1"));
        assertEquals(2, store.cachedClients());
        store.retain(Set.of(other));
        assertEquals(1, store.cachedClients());
    }

    @Test
    public void clientCreationRestoresTheContextClassLoader() {
        ClassLoader mine = new ClassLoader(getClass().getClassLoader()) {
        };
        Thread.currentThread().setContextClassLoader(mine);
        try {
            store.client(new BucketConfig(UUID.randomUUID(), "MinIO", "http://127.0.0.1:9000", "mail", "", "a", "s"));
            assertSame(mine, Thread.currentThread().getContextClassLoader());
        } finally {
            Thread.currentThread().setContextClassLoader(getClass().getClassLoader());
        }
    }
}
