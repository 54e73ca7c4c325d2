import Contracts
import EventBus
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

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
        // One event at a time, in order: each anonymisation this context has not applied yet
        // runs as its own event would have run it (its id correlates what it publishes), and
        // a later one of the same customer in the run finds nothing more to change.
        let forget = wrap(Topics.profileAnonymized) { forget in
            { events, connection in
                for event in events where try await Self.record(event.payload, aheadOfEvent: false, connection, logger) {
                    try await forget([event], connection)
                }
            }
        }
        on(Topics.dataExportRequested) { event, connection in
            let request = event.payload
            if let forget, let anonymizedAt = request.anonymizedAt {
                let anonymisation = EventEnvelope(
                    topic: Topics.profileAnonymized, occurredAt: anonymizedAt, source: event.source,
                    correlationId: event.id.lowercasedString, userId: request.userId,
                    payload: ProfileAnonymized(userId: request.userId, anonymizedAt: anonymizedAt))
                if try await Self.record(anonymisation.payload, aheadOfEvent: true, connection, logger) {
                    logger.notice(
                        "anonymisation applied ahead of its event, for an export",
                        metadata: [
                            "exportId": "\(request.exportId.lowercasedString)", "userId": "\(request.userId)",
                        ])
                    try await forget([anonymisation], connection)
                }
            }
            try await outbox.answerExport(event, with: try await part(request.userId, connection), on: connection, logger: logger)
        }
    }

    /// Records `anonymisation` unless this context applied it or a later one already; false
    /// then. Ahead of its event, one from before this context recorded them is left out too
    /// (it was applied when its event came, unrecorded).
    private static func record(
        _ anonymisation: ProfileAnonymized, aheadOfEvent: Bool, _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> Bool {
        let recorded = try await connection.query(
            """
            INSERT INTO anonymisations AS a (user_id, anonymized_at)
            SELECT \(anonymisation.userId), \(anonymisation.anonymizedAt)
            WHERE NOT \(aheadOfEvent) OR \(anonymisation.anonymizedAt) >= (SELECT since FROM anonymisations_recorded)
            ON CONFLICT (user_id) DO UPDATE SET anonymized_at = EXCLUDED.anonymized_at WHERE a.anonymized_at < EXCLUDED.anonymized_at
            RETURNING user_id
            """, logger: logger
        ).values(String.self)
        return !recorded.isEmpty
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
        logger.info(
            "export part sent",
            metadata: [
                "exportId": "\(request.payload.exportId.lowercasedString)", "chunks": .stringConvertible(chunks.count),
            ])
    }
}
