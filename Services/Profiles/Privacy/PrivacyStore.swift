import Contracts
import Domain
import HTTPKit
import Logging
import PostgresNIO
import ServiceKit
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Privacy-request SQL (CONTRACT §13). An export is a saga: the request publishes
/// `customer.data_export.requested`, every context answers with its part in chunks, and the
/// chunks are kept here until the document is downloaded or expires. A request's row is the
/// audit record and outlives the data.
struct PrivacyStore: Sendable {
    let runtime: Runtime
    /// How long an export waits for every part (`PRIVACY_EXPORT_TIMEOUT_SECONDS`).
    let exportTimeoutSeconds: Int
    var logger: Logger { runtime.logger }
    var database: Database { runtime.database }

    /// How long a READY document can be downloaded.
    static let documentDays = 7
    static let columns = "id, user_id, kind, status, requested_by, requested_at, completed_at, expires_at, ready_contexts"

    // MARK: Exports

    /// A new PENDING export and its event, or (`created` false) the one already pending.
    func requestExport(for userId: String, by requester: String, correlationId: String) async throws -> (PrivacyRequest, created: Bool) {
        try await failOverdue(of: userId)
        let runtime = self.runtime
        let logger = self.logger
        return try await database.transaction { connection in
            // Not while the customer is being erased: the export would copy what is going.
            try await connection.lockUntilCommit(Self.lockName(userId), logger: logger)
            // Erasure wins over export: a request after an anonymisation names it (an erasure's
            // time is its row's `completed_at`, the job's the profile's `anonymized_at`), and no
            // context answers before it has applied it (docs/events.md).
            let anonymizedAt =
                try await connection.query(
                    """
                    SELECT GREATEST(
                        (SELECT max(completed_at) FROM privacy_requests WHERE user_id = \(userId) AND kind = 'ERASURE' AND status = 'ERASED'),
                        (SELECT anonymized_at FROM profiles WHERE user_id = \(userId)))
                    """, logger: logger
                ).value(Date?.self) ?? nil
            // One pending export per customer (a partial unique index). The pending one may
            // become READY between the insert and the read (its last part needs no lock of
            // ours): then there is none pending any more, and the insert is tried again.
            for _ in 0..<3 {
                if let created = try await Self.first(
                    connection.query(
                        """
                        INSERT INTO privacy_requests (id, user_id, kind, status, requested_by)
                        VALUES (\(UUID()), \(userId), 'EXPORT', 'PENDING', \(requester))
                        ON CONFLICT (user_id) WHERE status = 'PENDING' DO NOTHING
                        RETURNING \(unescaped: Self.columns)
                        """, logger: logger))
                {
                    try await runtime.outbox.enqueue(
                        Topics.dataExportRequested, userId: userId,
                        payload: DataExportRequested(
                            exportId: created.id, userId: userId, requestedAt: created.requestedAt, anonymizedAt: anonymizedAt),
                        correlationId: correlationId, on: connection, logger: logger)
                    Self.audit(created, logger)
                    return (created, true)
                }
                if let pending = try await Self.first(
                    connection.query(
                        """
                        SELECT \(unescaped: Self.columns) FROM privacy_requests WHERE user_id = \(userId) AND status = 'PENDING'
                        """, logger: logger))
                {
                    return (pending, false)
                }
            }
            throw AppError.internalError
        }
    }

    /// The advisory lock that orders one customer's privacy requests.
    static func lockName(_ userId: String) -> String { "privacy:" + userId }

    /// The customer's requests, newest first: exports only, or (`kind` nil, for admins) all.
    func list(_ userId: String, kind: PrivacyRequest.Kind?, page: Pagination) async throws -> ([PrivacyRequest], Int) {
        try await failOverdue(of: userId)
        let kinds = kind.map { [$0.rawValue] } ?? ["EXPORT", "ERASURE"]
        async let total = database.query(
            "SELECT count(*)::int FROM privacy_requests WHERE user_id = \(userId) AND kind = ANY(\(kinds))"
        ).value(Int.self)
        let requests = try await Self.all(
            database.query(
                """
                SELECT \(unescaped: Self.columns) FROM privacy_requests WHERE user_id = \(userId) AND kind = ANY(\(kinds))
                ORDER BY requested_at DESC, id LIMIT \(page.limit) OFFSET \(page.offset)
                """))
        return (requests, try await total ?? 0)
    }

    /// The customer's export `id`; nil for another customer's or an unknown one.
    func export(_ id: UUID, of userId: String) async throws -> PrivacyRequest? {
        try await failOverdue(of: userId)
        return try await Self.first(
            database.query(
                """
                SELECT \(unescaped: Self.columns) FROM privacy_requests WHERE id = \(id) AND user_id = \(userId) AND kind = 'EXPORT'
                """))
    }

    /// The export document (CONTRACT §13): every part's chunks merged, with when and for whom.
    /// 404 unknown or expired, 409 before READY.
    func document(_ id: UUID, of userId: String) async throws -> JSONValue {
        guard let export = try await export(id, of: userId) else { throw AppError.notFound("Export not found") }
        switch export.status {
        case .ready: break
        case .failed: throw AppError.invalidState("The export failed; request a new one")
        // Its data went with the erasure: there is nothing to download, now or later.
        case .cancelled: throw AppError.notFound("Export not found")
        default: throw AppError.invalidState("The export is not ready yet")
        }
        guard let expiresAt = export.expiresAt, expiresAt > Date() else { throw AppError.notFound("Export expired") }
        let chunks = try await database.query(
            """
            SELECT part FROM privacy_export_parts WHERE export_id = \(id) ORDER BY context, chunk
            """
        ).values(String.self).map { try JSONCoding.decoder.decode(JSONValue.self, from: Data($0.utf8)) }
        var document = ExportChunks.merge(chunks)
        document.deepMerge(
            .object([
                "generatedAt": .string(Timestamp.iso8601(export.completedAt ?? Date())), "userId": .string(userId),
            ]))
        return document
    }

    /// Keeps one chunk of a context's part (from `customer.data_export.part`), in the inbox
    /// transaction: a redelivered chunk changes nothing, and the export is READY once every
    /// context's chunks are all here. Chunks for an export that is no longer pending (failed,
    /// or the customer was erased meanwhile) are dropped.
    func collect(_ part: DataExportPart, on connection: PostgresConnection) async throws {
        let metadata: Logger.Metadata = ["exportId": "\(part.exportId.lowercasedString)", "context": "\(part.context)"]
        guard DataExportPart.contexts.contains(part.context), part.chunk >= 1, part.chunk <= part.chunks else {
            logger.warning("export part ignored: not a context or chunk of the contract", metadata: metadata)
            return
        }
        var pending: (ready: [String], overdue: Bool)?
        for try await (ready, overdue) in try await connection.query(
            """
            SELECT ready_contexts, requested_at < clock_timestamp() - make_interval(secs => \(exportTimeoutSeconds))
            FROM privacy_requests
            WHERE id = \(part.exportId) AND user_id = \(part.userId) AND kind = 'EXPORT' AND status = 'PENDING'
            FOR UPDATE
            """, logger: logger
        ).decode(([String], Bool).self) {
            pending = (ready, overdue)
        }
        guard let pending, !pending.overdue, !pending.ready.contains(part.context) else {
            if pending?.overdue == true { try await failOverdue(of: part.userId, on: connection) }
            logger.info("export part ignored: the export is no longer waiting for it", metadata: metadata)
            return
        }
        let body = try JSONCoding.string(part.part)
        let complete = try await connection.query(
            """
            WITH kept AS (
                INSERT INTO privacy_export_parts (export_id, context, chunk, chunks, part)
                VALUES (\(part.exportId), \(part.context), \(part.chunk), \(part.chunks), \(body))
                ON CONFLICT DO NOTHING RETURNING chunk
            )
            SELECT (SELECT count(*) FROM privacy_export_parts WHERE export_id = \(part.exportId) AND context = \(part.context))
                   + (SELECT count(*) FROM kept) = \(part.chunks)
            """, logger: logger
        ).value(Bool.self)
        guard complete == true else { return }
        let ready = pending.ready + [part.context]
        let done = Set(ready) == Set(DataExportPart.contexts)
        try await connection.query(
            """
            UPDATE privacy_requests SET ready_contexts = \(ready),
                status = CASE WHEN \(done) THEN 'READY' ELSE status END,
                completed_at = CASE WHEN \(done) THEN clock_timestamp() END,
                expires_at = CASE WHEN \(done) THEN clock_timestamp() + make_interval(secs => \(Self.documentDays * 86_400)) END
            WHERE id = \(part.exportId)
            """, logger: logger)
        if done { logger.notice("export ready", metadata: metadata.merging(["userId": "\(part.userId)"]) { $1 }) }
    }

    /// Exports still waiting after the timeout become FAILED and their chunks go: of one
    /// customer before they read theirs, of everyone from the job. Two statements, so that the
    /// delete sees a chunk committed while the update waited for the export's row.
    @discardableResult
    func failOverdue(of userId: String? = nil, on connection: PostgresConnection? = nil) async throws -> Int {
        let logger = self.logger
        let timeout = exportTimeoutSeconds
        let fail = { (connection: PostgresConnection) async throws -> [(UUID, String, [String])] in
            let failed = try await Self.failures(
                connection.query(
                    """
                    UPDATE privacy_requests SET status = 'FAILED', completed_at = clock_timestamp()
                    WHERE status = 'PENDING' AND requested_at < clock_timestamp() - make_interval(secs => \(timeout))
                      AND (\(userId)::text IS NULL OR user_id = \(userId))
                    RETURNING id, user_id, ready_contexts
                    """, logger: logger))
            if !failed.isEmpty {
                try await connection.query(
                    "DELETE FROM privacy_export_parts WHERE export_id = ANY(\(failed.map(\.0)))", logger: logger)
            }
            return failed
        }
        let failed = if let connection { try await fail(connection) } else { try await database.transaction { try await fail($0) } }
        for (id, user, ready) in failed {
            let missing = DataExportPart.contexts.filter { !ready.contains($0) }
            logger.warning(
                "export failed: parts missing after the timeout",
                metadata: [
                    "exportId": "\(id.lowercasedString)", "userId": "\(user)", "missing": "\(missing.joined(separator: ","))",
                ])
        }
        return failed.count
    }

    private static func failures(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [(UUID, String, [String])] {
        var failed: [(UUID, String, [String])] = []
        for try await row in rows.decode((UUID, String, [String]).self) { failed.append(row) }
        return failed
    }

    /// What the job would do now: exports that would fail, and exports whose chunks would go.
    func due() async throws -> (fail: Int, delete: Int) {
        for try await counts in try await database.query(
            """
            SELECT (SELECT count(*)::int FROM privacy_requests
                    WHERE status = 'PENDING' AND requested_at < clock_timestamp() - make_interval(secs => \(exportTimeoutSeconds))),
                   (SELECT count(DISTINCT p.export_id)::int FROM privacy_export_parts p JOIN privacy_requests r ON r.id = p.export_id
                    WHERE r.expires_at <= now() OR r.status = 'FAILED')
            """
        ).decode((Int, Int).self) {
            return counts
        }
        return (0, 0)
    }

    /// Deletes the documents of exports past `expiresAt`, and any chunk of an export that is
    /// not READY but no longer waiting (the job); their audit rows stay.
    func pruneExpired() async throws -> Int {
        try await database.query(
            """
            WITH expired AS (
                DELETE FROM privacy_export_parts p USING privacy_requests r
                WHERE p.export_id = r.id AND (r.expires_at <= now() OR r.status = 'FAILED')
                RETURNING p.export_id
            )
            SELECT count(DISTINCT export_id)::int FROM expired
            """
        ).value(Int.self) ?? 0
    }

    // MARK: Erasure

    /// Erases the customer at once (CONTRACT §13): `customer.erasure.requested`, the
    /// anonymisation the inactivity job does but with the profile row deleted, and their
    /// export documents gone. A repeat with nothing new to erase changes nothing but the audit.
    func erase(_ userId: String, by requester: String, correlationId: String) async throws -> ErasureAccepted {
        let runtime = self.runtime
        let logger = self.logger
        return try await database.transaction { connection in
            // A customer without a profile still has data elsewhere: lock by id, not by row.
            try await connection.lockUntilCommit(Self.lockName(userId), logger: logger)
            let hasProfile =
                try await connection.query(
                    "SELECT count(*)::int FROM profiles WHERE user_id = \(userId) AND anonymized_at IS NULL", logger: logger
                ).value(Int.self) ?? 0
            let erasedBefore =
                try await connection.query(
                    """
                    SELECT count(*)::int FROM privacy_requests WHERE user_id = \(userId) AND kind = 'ERASURE' AND status = 'ERASED'
                    """, logger: logger
                ).value(Int.self) ?? 0
            let erasing = hasProfile > 0 || erasedBefore == 0
            let request = try await Self.first(
                connection.query(
                    """
                    INSERT INTO privacy_requests (id, user_id, kind, status, requested_by, completed_at)
                    VALUES (\(UUID()), \(userId), 'ERASURE', \(erasing ? "ERASED" : "ALREADY_ERASED"), \(requester), clock_timestamp())
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger))!
            Self.audit(request, logger)
            guard erasing else { return ErasureAccepted(userId: userId, requestedAt: request.requestedAt) }
            try await runtime.outbox.enqueue(
                Topics.erasureRequested, userId: userId,
                payload: ErasureRequested(userId: userId, requestedAt: request.requestedAt, requestedBy: requester),
                correlationId: correlationId, on: connection, logger: logger)
            let anonymizedAt = try await Anonymisation.apply(
                userId, profileRow: .delete, runtime: runtime, correlationId: correlationId, on: connection)
            try await connection.query(
                "UPDATE privacy_requests SET completed_at = \(anonymizedAt) WHERE id = \(request.id)", logger: logger)
            // Erasure wins over export (CONTRACT §13): every export still pending or ready is
            // cancelled and its collected parts go now; `collect` drops parts arriving later,
            // since it takes only parts of a PENDING export, under the row lock taken here.
            try await connection.query(
                """
                UPDATE privacy_requests SET status = 'CANCELLED', completed_at = clock_timestamp(), expires_at = NULL
                WHERE user_id = \(userId) AND kind = 'EXPORT' AND status IN ('PENDING', 'READY')
                """, logger: logger)
            try await connection.query(
                """
                DELETE FROM privacy_export_parts WHERE export_id IN (SELECT id FROM privacy_requests WHERE user_id = \(userId))
                """, logger: logger)
            return ErasureAccepted(userId: userId, requestedAt: request.requestedAt)
        }
    }

    // MARK: Rows

    /// Every request is logged as well as kept, with ids only.
    static func audit(_ request: PrivacyRequest, _ logger: Logger) {
        logger.notice(
            "privacy request",
            metadata: [
                "privacyRequestId": "\(request.id.lowercasedString)", "kind": "\(request.kind.rawValue)", "userId": "\(request.userId)",
                "requestedBy": "\(request.requestedBy)", "status": "\(request.status.rawValue)",
            ])
    }

    static func first(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> PrivacyRequest? {
        try await all(rows).first
    }

    static func all(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [PrivacyRequest] {
        var requests: [PrivacyRequest] = []
        for try await (id, userId, kind, status, requestedBy, requestedAt, completedAt, expiresAt, ready)
            in rows.decode((UUID, String, String, String, String, Date, Date?, Date?, [String]).self)
        {
            let kind = try PrivacyRequest.Kind.stored(kind)
            let parts =
                kind == .export
                ? Dictionary(uniqueKeysWithValues: DataExportPart.contexts.map { ($0, ready.contains($0) ? "READY" : "PENDING") })
                : nil
            requests.append(
                PrivacyRequest(
                    id: id, userId: userId, kind: kind, status: try .stored(status), requestedBy: requestedBy, requestedAt: requestedAt,
                    completedAt: completedAt, parts: parts, expiresAt: expiresAt))
        }
        return requests
    }
}
