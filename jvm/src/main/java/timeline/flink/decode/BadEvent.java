package timeline.flink.decode;

/** An event that cannot be evaluated; its message is the dead letter's reason (engine.events.BadEvent). */
final class BadEvent extends Exception {
    private static final long serialVersionUID = 1L;

    BadEvent(String reason) {
        super(reason, null, false, false);
    }
}
