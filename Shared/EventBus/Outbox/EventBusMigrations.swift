import Storage

/// The tables the event bus keeps in every context's schema. Their versions start at
/// 100_000 so they never collide with a context's own migrations (1, 2, 3, …).
public enum EventBusMigrations {
    public static let all = [
        Migration(
            100_001, "event bus outbox and inbox",
            """
            CREATE TABLE outbox (
                seq          bigserial   PRIMARY KEY,
                id           uuid        NOT NULL UNIQUE,
                topic        text        NOT NULL,
                key          text        NOT NULL,
                value        text        NOT NULL,
                created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
                published_at timestamptz
            )
            """,
            // The relay reads unpublished rows in order; pruning finds old published ones.
            "CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL",
            "CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL",
            """
            CREATE TABLE processed_events (
                event_id     uuid        PRIMARY KEY,
                topic        text        NOT NULL,
                processed_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX processed_events_processed_at ON processed_events (processed_at)"
        ),
        // Nothing looks an outbox row up by its event id (consumers deduplicate by it in their
        // own inbox), so its unique index was one more index to write per event for nothing.
        Migration(100_002, "outbox without a second unique index", "ALTER TABLE outbox DROP CONSTRAINT outbox_id_key"),
        // The latest anonymisation each context applied per customer, so that an export request
        // made after an erasure can be answered only once that erasure is applied, and an
        // anonymisation runs once whichever of the two messages arrives first (`answerExports`).
        // Anonymisations from before the table existed were applied but not recorded: an export
        // request naming one of those does not apply it again (`since`).
        Migration(
            100_003, "anonymisations applied",
            """
            CREATE TABLE anonymisations (
                user_id       text        PRIMARY KEY,
                anonymized_at timestamptz NOT NULL
            )
            """,
            "CREATE TABLE anonymisations_recorded (since timestamptz NOT NULL)",
            "INSERT INTO anonymisations_recorded (since) VALUES (now())"
        ),
        // The W3C trace context of the transaction that wrote the event (null when the writer
        // was not traced); the relay sends it as the message's headers (docs/events.md).
        Migration(100_004, "outbox trace context", "ALTER TABLE outbox ADD COLUMN traceparent text, ADD COLUMN tracestate text"),
    ]
}
