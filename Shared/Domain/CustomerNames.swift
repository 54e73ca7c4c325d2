import Contracts
import EventBus
import Logging
import PostgresNIO
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Customers' display names, kept by each context that shows one (loyalty's `referrerName`,
/// engagement's `reviewerName`) in a `customer_names` table of its own schema: saved from
/// `customer.profile.updated`, scrubbed on `customer.profile.anonymized`. Writes are guarded
/// by the event time, so the newest state wins whatever the arrival order.
///
/// A context registers the projection and, for the same topics, its own handlers that react
/// to a change (dropping cached pages that show the name); they run in one transaction.
public enum CustomerNames {
    /// The projection's table, created by each context's migrations.
    public static let table = """
        CREATE TABLE customer_names (
            user_id    text        PRIMARY KEY,
            first_name text,
            last_name  text,
            event_at   timestamptz NOT NULL
        )
        """

    public static func register(on handlers: inout EventHandlers, logger: Logger) {
        handlers.onBatch(Topics.profileUpdated) { events, connection in
            let newest = events.newestPerKey { UserID($0.payload.userId) }
            try await save(
                newest.map(\.payload.userId), firstNames: newest.map(\.payload.firstName), lastNames: newest.map(\.payload.lastName),
                at: newest.map(\.occurredAt), connection, logger)
        }
        handlers.onBatch(Topics.profileAnonymized) { events, connection in
            let newest = events.newestPerKey { UserID($0.payload.userId) }
            let scrubbed = [String?](repeating: nil, count: newest.count)
            try await save(
                newest.map(\.payload.userId), firstNames: scrubbed, lastNames: scrubbed, at: newest.map(\.occurredAt), connection, logger)
        }
    }

    /// "First L." — the first name and the last initial; nil when no name is known.
    public static func displayName(firstName: String?, lastName: String?) -> String? {
        guard let first = firstName?.trimmingCharacters(in: .whitespaces), !first.isEmpty else { return nil }
        guard let initial = lastName?.trimmingCharacters(in: .whitespaces).first else { return first }
        return "\(first) \(initial.uppercased())."
    }

    /// One row per user (the caller keeps the newest event of each), in one statement.
    private static func save(
        _ userIds: [String], firstNames: [String?], lastNames: [String?], at: [Date], _ connection: PostgresConnection, _ logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO customer_names (user_id, first_name, last_name, event_at)
            SELECT * FROM unnest(\(userIds)::text[], \(NullableArray(firstNames))::text[], \(NullableArray(lastNames))::text[],
                \(at)::timestamptz[])
            ON CONFLICT (user_id) DO UPDATE SET first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, event_at = EXCLUDED.event_at
            WHERE customer_names.event_at <= EXCLUDED.event_at
            """, logger: logger)
    }
}
