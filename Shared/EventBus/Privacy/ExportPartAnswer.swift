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
    /// which `part` reads from the context's own tables for the customer.
    public mutating func answerExports(
        outbox: Outbox, logger: Logger, part: @escaping @Sendable (_ userId: String, PostgresConnection) async throws -> JSONValue
    ) {
        on(Topics.dataExportRequested) { event, connection in
            try await outbox.answerExport(event, with: try await part(event.payload.userId, connection), on: connection, logger: logger)
        }
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
