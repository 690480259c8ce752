package io.tandem.api.cluster;

/**
 * Whiteboard: register as a service with the property {@value #TOPIC_PROPERTY} naming the topic to
 * receive its messages. Called on one dispatch thread; must not block for long.
 */
public interface ClusterMessageListener {

    String TOPIC_PROPERTY = "tandem.topic";

    void onMessage(String topic, String message);
}
