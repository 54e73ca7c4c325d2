import Contracts
import Instrumentation
import Logging
import PostgresNIO
import Storage
import Tracing

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Writes events in the caller's transaction (ARCHITECTURE §5): the event is published if
/// and only if the transaction commits. `OutboxRelay` does the publishing.
public struct Outbox: Sendable {
    /// The service name, written as each envelope's `source`.
    public let source: String
    /// The relay's advisory lock, and the `LISTEN` channel on which other processes (a job
    /// run from the command line) wake it: `<schema>_outbox`.
    public let lockName: String
    public var channel: String { lockName }
    /// Rung after a transaction that wrote events commits, so this process's relay publishes
    /// them at once. An in-process signal rather than `pg_notify`: Postgres serialises the
    /// commits of every transaction that notifies, which capped write throughput.
    let doorbell = Doorbell()

    public init(source: String, schema: String) {
        self.source = source
        self.lockName = "\(schema)_outbox"
    }

    /// Adds an event to the outbox inside `connection`'s open transaction and returns it.
    /// `occurredAt` may be the database's clock read under the lock that orders the changes
    /// (see `add`).
    @discardableResult
    public func enqueue<Payload>(
        _ topic: Topic<Payload>, userId: String, payload: Payload, correlationId: String?, occurredAt: Date = Date(),
        on connection: PostgresConnection, logger: Logger
    ) async throws -> EventEnvelope<Payload> {
        let event = EventEnvelope(
            topic: topic, occurredAt: occurredAt, source: source, correlationId: correlationId, userId: userId, payload: payload)
        try await enqueue(event, on: connection, logger: logger)
        return event
    }

    /// Adds a prepared envelope (one statement; the relay is woken after the commit).
    public func enqueue<Payload>(_ event: EventEnvelope<Payload>, on connection: PostgresConnection, logger: Logger) async throws {
        let value = try JSONCoding.string(event)
        let trace = TraceContext.current()
        try await connection.query(
            """
            INSERT INTO outbox (id, topic, key, value, traceparent, tracestate)
            VALUES (\(event.id), \(event.type), \(event.userId), \(value), \(trace.parent), \(trace.state))
            """, logger: logger)
        await wakeRelayAfterCommit()
    }

    /// Wakes this process's relay once the surrounding `Database.transaction` commits (at
    /// once outside one). A process without a relay calls `notifyRelays` when it is done.
    public func wakeRelayAfterCommit() async {
        let doorbell = self.doorbell
        await AfterCommit.schedule { doorbell.ring() }
    }

    /// Encodes an event into `rows`, for a statement that writes several tables at once.
    /// `occurredAt` may come from the database's clock, read under the lock that orders the
    /// changes, so that events of one key are stamped in that order whichever replica wrote them.
    public func add<Payload>(
        _ topic: Topic<Payload>, userId: String, payload: Payload, correlationId: String?, occurredAt: Date = Date(),
        to rows: inout OutboxRows
    ) throws {
        let event = EventEnvelope(
            topic: topic, occurredAt: occurredAt, source: source, correlationId: correlationId, userId: userId, payload: payload)
        if rows.ids.isEmpty { rows.trace = TraceContext.current() }
        rows.ids.append(event.id)
        rows.topics.append(event.type)
        rows.keys.append(event.userId)
        rows.values.append(try JSONCoding.string(event))
    }

    /// Wakes the relays of the running service instances (`NOTIFY`), for a process that wrote
    /// events but runs no relay of its own, such as `<service> jobs run`. Not for hot paths:
    /// Postgres serialises the commits of every transaction that notifies.
    public func notifyRelays(_ database: Database) async throws {
        try await database.query("SELECT pg_notify(\(channel), '')")
    }

    /// Seconds the oldest unpublished event has waited (0 when none waits).
    public static func lagSeconds(_ database: Database) async throws -> Double {
        try await database.query(
            """
            SELECT COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)), 0)::float8
            FROM outbox WHERE published_at IS NULL
            """
        ).value(Double.self) ?? 0
    }
}

/// Encoded events for one multi-row insert inside a larger statement, so a hot write path
/// can change its own tables and the outbox in a single round trip:
///
///     events AS (
///         INSERT INTO outbox (id, topic, key, value, traceparent, tracestate)
///         SELECT *, <trace> FROM unnest(\(rows.ids), \(rows.topics), \(rows.keys), \(rows.values))
///     )
///
/// After such a statement, call `outbox.wakeRelayAfterCommit()`.
public struct OutboxRows: Sendable {
    public fileprivate(set) var ids: [UUID] = []
    public fileprivate(set) var topics: [String] = []
    public fileprivate(set) var keys: [String] = []
    public fileprivate(set) var values: [String] = []
    /// The trace context of the request that writes them (all of one request).
    fileprivate(set) var trace = TraceContext()
    /// For a prepared statement that inserts the rows itself: the `traceparent` and
    /// `tracestate` columns of every row.
    public var traceParent: String? { trace.parent }
    public var traceState: String? { trace.state }

    public init() {}
}

/// The W3C trace context (`traceparent`, `tracestate`) of the span running now, as the outbox
/// stores it and the relay sends it: nil fields when tracing is off or nothing is traced.
struct TraceContext: Sendable {
    var parent: String?
    var state: String?

    static func current() -> TraceContext {
        guard Spans.enabled, let context = ServiceContext.current else { return TraceContext() }
        var headers: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &headers, using: DictionaryInjector())
        return TraceContext(parent: headers["traceparent"], state: headers["tracestate"])
    }

    /// The context as message headers.
    var headers: [(String, String)] {
        [("traceparent", parent), ("tracestate", state)].compactMap { name, value in value.map { (name, $0) } }
    }
}

struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}

extension PostgresQuery.StringInterpolation {
    /// `\(outboxInsert: rows)`: the outbox insert of `rows`, for a data-modifying CTE of a
    /// statement that changes its own tables and publishes in one round trip:
    ///
    ///     WITH item AS (INSERT INTO …), events AS (\(outboxInsert: rows)) SELECT … FROM item
    ///
    /// After such a statement, call `outbox.wakeRelayAfterCommit()`.
    public mutating func appendInterpolation(outboxInsert rows: OutboxRows) {
        appendLiteral("INSERT INTO outbox (id, topic, key, value, traceparent, tracestate) SELECT *, ")
        appendInterpolation(rows.trace.parent)
        appendLiteral("::text, ")
        appendInterpolation(rows.trace.state)
        appendLiteral("::text FROM unnest(")
        appendInterpolation(rows.ids)
        appendLiteral("::uuid[], ")
        appendInterpolation(rows.topics)
        appendLiteral("::text[], ")
        appendInterpolation(rows.keys)
        appendLiteral("::text[], ")
        appendInterpolation(rows.values)
        appendLiteral("::text[])")
    }
}
