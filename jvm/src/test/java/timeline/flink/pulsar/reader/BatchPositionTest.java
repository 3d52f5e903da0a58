package timeline.flink.pulsar.reader;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.impl.BatchMessageIdImpl;
import org.apache.pulsar.client.impl.MessageIdImpl;
import org.junit.jupiter.api.Test;

class BatchPositionTest {
    @Test
    void aMessageIdNamesLedgerEntryAndBatchIndex() {
        BatchPosition batched = BatchPosition.of(new BatchMessageIdImpl(3, 7, 2, 4));
        assertThat(batched.toString()).isEqualTo("3:7:4");
        assertThat(batched.inBatch()).isTrue();
        BatchPosition single = BatchPosition.of(new MessageIdImpl(3, 7, 2));
        assertThat(single.toString()).isEqualTo("3:7:-1");
        assertThat(single.inBatch()).isFalse();
    }

    @Test
    void theEarliestAndLatestIdsNameNoMessage() {
        assertThat(BatchPosition.of(MessageId.earliest)).isNull();
        assertThat(BatchPosition.of(MessageId.latest)).isNull();
    }

    @Test
    void positionsAreOrderedAsTheBrokerDeliversThem() {
        assertThat(BatchPosition.of(new BatchMessageIdImpl(3, 7, 0, 4)))
                .isGreaterThan(BatchPosition.of(new BatchMessageIdImpl(3, 7, 0, 3)))
                .isGreaterThan(BatchPosition.of(new MessageIdImpl(3, 7, 0)))
                .isLessThan(BatchPosition.of(new BatchMessageIdImpl(3, 8, 0, 0)))
                .isLessThan(BatchPosition.of(new MessageIdImpl(4, 0, 0)))
                .isEqualByComparingTo(BatchPosition.of(new BatchMessageIdImpl(3, 7, 5, 4)));
        assertThat(BatchPosition.of(new MessageIdImpl(3, 9, 0))).isGreaterThan(BatchPosition.of(new MessageIdImpl(2, 100, 0)));
    }
}
