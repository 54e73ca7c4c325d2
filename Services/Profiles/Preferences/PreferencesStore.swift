import Contracts
import Logging
import PostgresNIO
import ServiceKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Notification preference SQL. Every save publishes `customer.notification_preferences.updated`.
struct PreferencesStore: Sendable {
    let runtime: Runtime
    var logger: Logger { runtime.logger }

    static let columns = """
        email_marketing, sms_marketing, push_marketing, newsletter, promotional_offers, product_updates,
        order_updates, appointment_reminders, preferred_channel, opted_out_at, updated_at
        """

    /// The saved preferences, or nil if the customer never saved any.
    func find(_ userId: String) async throws -> NotificationPreferences? {
        try await Self.first(runtime.database.query("SELECT \(unescaped: Self.columns) FROM notification_preferences WHERE user_id = \(userId)"))
    }

    /// Reads the current preferences under a row lock, lets `change` compute the next ones,
    /// saves and publishes them.
    func save(
        _ userId: String, correlationId: String,
        _ change: @escaping @Sendable (NotificationPreferences) throws -> NotificationPreferences
    ) async throws -> NotificationPreferences {
        let runtime = self.runtime
        let logger = self.logger
        return try await runtime.database.transaction { connection in
            // Serialise concurrent saves of one customer, whether or not a row exists yet.
            try await connection.lockUntilCommit("preferences:" + userId, logger: logger)
            let current =
                try await Self.first(
                    connection.query(
                        "SELECT \(unescaped: Self.columns) FROM notification_preferences WHERE user_id = \(userId)", logger: logger))
                ?? .defaults
            let next = try change(current)
            let v = next.values
            let saved = try await Self.first(
                connection.query(
                    """
                    INSERT INTO notification_preferences (user_id, email_marketing, sms_marketing, push_marketing, newsletter,
                        promotional_offers, product_updates, order_updates, appointment_reminders, preferred_channel, opted_out_at, updated_at)
                    VALUES (\(userId), \(v["emailMarketing"] ?? false), \(v["smsMarketing"] ?? false), \(v["pushMarketing"] ?? false),
                        \(v["newsletter"] ?? false), \(v["promotionalOffers"] ?? false), \(v["productUpdates"] ?? false),
                        \(v["orderUpdates"] ?? true), \(v["appointmentReminders"] ?? true), \(next.preferredChannel.rawValue),
                        \(next.optedOutAt), now())
                    ON CONFLICT (user_id) DO UPDATE SET
                        email_marketing = EXCLUDED.email_marketing, sms_marketing = EXCLUDED.sms_marketing,
                        push_marketing = EXCLUDED.push_marketing, newsletter = EXCLUDED.newsletter,
                        promotional_offers = EXCLUDED.promotional_offers, product_updates = EXCLUDED.product_updates,
                        order_updates = EXCLUDED.order_updates, appointment_reminders = EXCLUDED.appointment_reminders,
                        preferred_channel = EXCLUDED.preferred_channel, opted_out_at = EXCLUDED.opted_out_at, updated_at = now()
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger))!
            try await runtime.outbox.enqueue(
                Topics.notificationPreferencesUpdated, userId: userId,
                payload: NotificationPreferencesUpdated(
                    userId: userId,
                    preferences: .init(
                        flags: saved.values, preferredChannel: saved.preferredChannel.rawValue,
                        optedOutAt: saved.optedOutAt, updatedAt: saved.updatedAt)),
                correlationId: correlationId, on: connection, logger: logger)
            return saved
        }
    }

    static func first(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> NotificationPreferences? {
        for try await (email, sms, push, newsletter, offers, updates, orders, reminders, channel, optedOutAt, updatedAt)
            in rows.decode((Bool, Bool, Bool, Bool, Bool, Bool, Bool, Bool, String, Date?, Date).self)
        {
            return NotificationPreferences(
                values: [
                    "emailMarketing": email, "smsMarketing": sms, "pushMarketing": push, "newsletter": newsletter,
                    "promotionalOffers": offers, "productUpdates": updates, "orderUpdates": orders, "appointmentReminders": reminders,
                ],
                preferredChannel: try .stored(channel),
                optedOutAt: optedOutAt, updatedAt: updatedAt)
        }
        return nil
    }
}
