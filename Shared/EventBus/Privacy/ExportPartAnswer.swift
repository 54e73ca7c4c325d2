#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import PostgresNIO
import Storage

extension EventHandlers {
    /// Answers every `customer.data_export.requested` with this context's part (CONTRACT §13),
    /// which `part` reads for the customer on the inbox transaction's connection.
    ///
    /// Erasure wins over export. Kafka orders messages per topic and key, not across topics,
    /// so a request made after the customer was anonymised may arrive here before
    /// `customer.profile.anonymized`. Such a request carries `anonymizedAt`; if this context
    /// has not applied that anonymisation yet, it applies it first — its own handlers of that
    /// topic, in the same transaction — and `part` reads what is left. Each anonymisation is
    /// recorded (`anonymisations`), so it runs once whichever message comes first: the event
    /// arriving later changes nothing more, and an old anonymisation never runs again over a
    /// returning customer's new data.
    ///
    /// Register it after every handler of `customer.profile.anonymized` (it wraps them).
    public mutating func answerExports(
        outbox: Outbox, logger: Logger, part: @escaping @Sendable (_ userId: String, PostgresConnection) async throws -> JSONValue
    ) {
        let forget = chain(of: Topics.profileAnonymized)
        if let forget {
            // One event at a time, in order: each anonymisation this context has not applied yet
            // runs as its own event would have run it (its id correlates what it publishes), and
            // a later one of the same customer in the run finds nothing more to change.
            install(Topics.profileAnonymized) { events, connection in
                for event in events where try await !Self.recordAnonymisations([event], aheadOfEvent: false, connection, logger).isEmpty {
                    try await forget([event], connection)
                }
            }
        }
        answersExports = true
        on(Topics.dataExportRequested) { event, connection in
            let request = event.payload
            if let forget, let anonymizedAt = request.anonymizedAt {
                let anonymisation = EventEnvelope(
                    topic: Topics.profileAnonymized, occurredAt: anonymizedAt, source: event.source,
                    correlationId: event.id.lowercasedString, userId: request.userId,
                    payload: ProfileAnonymized(userId: request.userId, anonymizedAt: anonymizedAt))
                if try await !Self.recordAnonymisations([anonymisation], aheadOfEvent: true, connection, logger).isEmpty {
                    logger.notice("anonymisation applied ahead of its event, for an export", metadata: [
                        "exportId": "\(request.exportId.lowercasedString)", "userId": "\(request.userId)",
                    ])
                    try await forget([anonymisation], connection)
                }
            }
            try await outbox.answerExport(event, with: try await part(request.userId, connection), on: connection, logger: logger)
        }
    }

    /// Records the anonymisations this context had not applied yet (the newest per customer)
    /// and returns their events; older or already applied ones are left out, and so, ahead of
    /// the event, is one from before this context recorded them (it was applied, unrecorded).
    private static func recordAnonymisations(
        _ events: [EventEnvelope<ProfileAnonymized>], aheadOfEvent: Bool, _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> [EventEnvelope<ProfileAnonymized>] {
        let newest = events.newestPerKey { UserID($0.payload.userId) }
        let recorded = try await connection.query("""
            INSERT INTO anonymisations AS a (user_id, anonymized_at)
            SELECT n.* FROM unnest(\(newest.map(\.payload.userId))::text[], \(newest.map(\.payload.anonymizedAt))::timestamptz[])
                AS n (user_id, anonymized_at)
            WHERE NOT \(aheadOfEvent) OR n.anonymized_at >= (SELECT since FROM anonymisations_recorded)
            ON CONFLICT (user_id) DO UPDATE SET anonymized_at = EXCLUDED.anonymized_at WHERE a.anonymized_at < EXCLUDED.anonymized_at
            RETURNING user_id
            """, logger: logger).values(String.self)
        let fresh = Set(recorded.map(UserID.init))
        return newest.filter { fresh.contains(UserID($0.payload.userId)) }
    }
}

extension Outbox {
    /// Answers `customer.data_export.requested` with this context's part (CONTRACT §13), split
    /// into chunks (`ExportChunks`), from the inbox transaction that applies the request: a
    /// redelivered request is skipped there, so each part is sent once. `part` is a JSON
    /// object whose keys are the export document's (build it with `JSONValue(encoding:)`).
    /// A part with an item too large for one message throws (`ExportChunks.ItemTooLarge`): the
    /// request is dead-lettered with that reason, and the export fails naming this context.
    func answerExport(
        _ request: EventEnvelope<DataExportRequested>, with part: JSONValue, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let chunks = try ExportChunks.split(part)
        for (index, chunk) in chunks.enumerated() {
            try await enqueue(
                Topics.dataExportPart, userId: request.payload.userId,
                payload: DataExportPart(
                    exportId: request.payload.exportId, userId: request.payload.userId, context: source, part: chunk,
                    chunk: index + 1, chunks: chunks.count),
                correlationId: request.id.lowercasedString, on: connection, logger: logger)
        }
        logger.info("export part sent", metadata: [
            "exportId": "\(request.payload.exportId.lowercasedString)", "chunks": "\(chunks.count)",
        ])
    }
}
