import Foundation
import Logging
import PostgresNIO
import Storage

/// Writes events in the caller's transaction (ARCHITECTURE §5): the event is published if
/// and only if the transaction commits. `OutboxRelay` does the publishing.
public struct Outbox: Sendable {
    /// The service name, written as each envelope's `source`.
    public let source: String
    /// The `NOTIFY` channel that wakes the relay: `<schema>_outbox`.
    public let channel: String

    public init(source: String, schema: String) {
        self.source = source
        self.channel = "\(schema)_outbox"
    }

    /// Adds an event to the outbox inside `connection`'s open transaction and returns it.
    @discardableResult
    public func enqueue<Payload>(
        _ topic: Topic<Payload>, userId: String, payload: Payload, correlationId: String?,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> EventEnvelope<Payload> {
        let event = EventEnvelope(topic: topic, source: source, correlationId: correlationId, userId: userId, payload: payload)
        try await enqueue(event, on: connection, logger: logger)
        return event
    }

    /// Adds a prepared envelope (one statement; the NOTIFY is delivered at commit).
    public func enqueue<Payload>(_ event: EventEnvelope<Payload>, on connection: PostgresConnection, logger: Logger) async throws {
        let value = String(decoding: try JSONCoding.encoder.encode(event), as: UTF8.self)
        try await connection.query("""
            WITH added AS (
                INSERT INTO outbox (id, topic, key, value) VALUES (\(event.id), \(event.type), \(event.userId), \(value))
            )
            SELECT pg_notify(\(channel), '')
            """, logger: logger)
    }

    /// Encodes an event into `rows`, for a statement that writes several tables at once.
    public func add<Payload>(
        _ topic: Topic<Payload>, userId: String, payload: Payload, correlationId: String?, to rows: inout OutboxRows
    ) throws {
        let event = EventEnvelope(topic: topic, source: source, correlationId: correlationId, userId: userId, payload: payload)
        rows.ids.append(event.id)
        rows.topics.append(event.type)
        rows.keys.append(event.userId)
        rows.values.append(String(decoding: try JSONCoding.encoder.encode(event), as: UTF8.self))
    }

    /// Seconds the oldest unpublished event has waited (0 when none waits).
    public static func lagSeconds(_ database: Database) async throws -> Double {
        let rows = try await database.query("""
            SELECT COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)), 0)::float8
            FROM outbox WHERE published_at IS NULL
            """)
        for try await lag in rows.decode(Double.self) { return lag }
        return 0
    }
}

/// Encoded events for one multi-row insert inside a larger statement, so a hot write path
/// can change its own tables and the outbox in a single round trip:
///
///     events AS (
///         INSERT INTO outbox (id, topic, key, value)
///         SELECT * FROM unnest(\(rows.ids), \(rows.topics), \(rows.keys), \(rows.values))
///     )
///
/// Such a statement must also `SELECT pg_notify(\(outbox.channel), '')` to wake the relay.
public struct OutboxRows: Sendable {
    public fileprivate(set) var ids: [UUID] = []
    public fileprivate(set) var topics: [String] = []
    public fileprivate(set) var keys: [String] = []
    public fileprivate(set) var values: [String] = []

    public init() {}
}
