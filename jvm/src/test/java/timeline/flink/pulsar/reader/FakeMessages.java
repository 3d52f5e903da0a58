package timeline.flink.pulsar.reader;

import java.lang.reflect.Proxy;

import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;

/** Messages that know only their topic and id, as the reader side of the source looks at them. */
final class FakeMessages {
    private FakeMessages() {}

    @SuppressWarnings("unchecked")
    static Message<byte[]> at(String topic, MessageId id) {
        return (Message<byte[]>) Proxy.newProxyInstance(Message.class.getClassLoader(), new Class<?>[] {Message.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "getTopicName": return topic;
                        case "getMessageId": return id;
                        default: throw new UnsupportedOperationException(method.getName());
                    }
                });
    }
}
