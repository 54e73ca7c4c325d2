import Foundation
import HTTPKit

/// The customers' names, kept from `customer.profile.updated` for a referral code's
/// `referrerName`, and scrubbed on `customer.profile.anonymized`. Upserts are guarded by
/// the event time, so the newest state wins whatever the arrival order.
enum CustomerNames {
    static func register(on handlers: inout EventHandlers, runtime: Runtime) {
        let logger = runtime.logger

        handlers.on(Topics.profileUpdated) { event, connection in
            let p = event.payload
            try await save(p.userId, firstName: p.firstName, lastName: p.lastName, at: event.occurredAt, connection, logger)
            try await dropCachedValidation(p.userId, runtime, connection)
        }

        handlers.on(Topics.profileAnonymized) { event, connection in
            try await save(event.payload.userId, firstName: nil, lastName: nil, at: event.occurredAt, connection, logger)
            try await dropCachedValidation(event.payload.userId, runtime, connection)
        }
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

    /// Once the handler's transaction has committed: earlier, a validation racing it could
    /// cache the old name again.
    private static func dropCachedValidation(_ userId: String, _ runtime: Runtime, _ connection: PostgresConnection) async throws {
        guard let code = try await connection.query(
            "SELECT code FROM referral_codes WHERE user_id = \(userId)", logger: runtime.logger).value(String.self) else { return }
        let cache = runtime.cache
        await AfterCommit.schedule { await cache.invalidate(ReferralStore.validationKey(code, in: cache)) }
    }
}
