package timeline.flink.transactions;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.pulsar.client.api.transaction.TxnID;

/** A Pulsar transaction id in a checkpoint: its two longs, most significant first. */
final class TxnIdSerializer implements SimpleVersionedSerializer<TxnID> {
    @Override
    public int getVersion() {
        return 1;
    }

    @Override
    public byte[] serialize(TxnID id) {
        return ByteBuffer.allocate(2 * Long.BYTES).putLong(id.getMostSigBits()).putLong(id.getLeastSigBits()).array();
    }

    @Override
    public TxnID deserialize(int version, byte[] serialized) throws IOException {
        if (version != 1 || serialized.length != 2 * Long.BYTES) {
            throw new IOException("not a transaction id of version 1: version " + version + ", "
                    + serialized.length + " bytes");
        }
        ByteBuffer bytes = ByteBuffer.wrap(serialized);
        return new TxnID(bytes.getLong(), bytes.getLong());
    }
}
