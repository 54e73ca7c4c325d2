import Foundation
import Logging
import PostgresNIO
import Storage

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
        handlers.on(Topics.profileUpdated) { event, connection in
            let p = event.payload
            try await save(p.userId, firstName: p.firstName, lastName: p.lastName, at: event.occurredAt, connection, logger)
        }
        handlers.on(Topics.profileAnonymized) { event, connection in
            try await save(event.payload.userId, firstName: nil, lastName: nil, at: event.occurredAt, connection, logger)
        }
    }

    /// "First L." — the first name and the last initial; nil when no name is known.
    public static func displayName(firstName: String?, lastName: String?) -> String? {
        guard let first = firstName?.trimmingCharacters(in: .whitespaces), !first.isEmpty else { return nil }
        guard let initial = lastName?.trimmingCharacters(in: .whitespaces).first else { return first }
        return "\(first) \(initial.uppercased())."
    }

    private static func save(
        _ userId: String, firstName: String?, lastName: String?, at: Date, _ connection: PostgresConnection, _ logger: Logger
    ) async throws {
        try await connection.query("""
            INSERT INTO customer_names (user_id, first_name, last_name, event_at) VALUES (\(userId), \(firstName), \(lastName), \(at))
            ON CONFLICT (user_id) DO UPDATE SET first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, event_at = EXCLUDED.event_at
            WHERE customer_names.event_at <= EXCLUDED.event_at
            """, logger: logger)
    }
}
