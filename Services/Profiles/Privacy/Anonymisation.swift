#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPKit

/// What profiles does to forget a customer, for the inactivity job and for an erasure request
/// alike: the personal data goes — name, email, phone, date of birth, avatar, addresses,
/// search-index row — and `customer.profile.anonymized` tells every other context to scrub
/// theirs. The caller holds the profile's row lock (or the customer's privacy lock) in the
/// transaction `connection` runs.
enum Anonymisation {
    enum ProfileRow {
        /// The job's way: an "Anonymised Customer" row stays, so the shop can still count the
        /// customer's orders and appointments.
        case scrub
        /// On request: the row goes too, so the profile is a 404 and a new `POST /profile`
        /// starts afresh; the saved notification preferences go with it.
        case delete
    }

    static func apply(
        _ userId: String, at now: Date, profileRow: ProfileRow, runtime: Runtime, correlationId: String, on connection: PostgresConnection
    ) async throws {
        let logger = runtime.logger
        // The time travels in events as milliseconds, and an export request names it by the
        // value kept here (`PrivacyStore.requestExport`): keep no more precision than travels.
        let now = Timestamp.roundedToMilliseconds(now)
        switch profileRow {
        case .scrub:
            try await connection.query("""
                UPDATE profiles SET first_name = 'Anonymised', last_name = 'Customer', email = NULL, phone = NULL,
                    date_of_birth = NULL, avatar_url = NULL, marketing_consent = false, marketing_consent_date = NULL,
                    anonymized_at = \(now), updated_at = now()
                WHERE user_id = \(userId)
                """, logger: logger)
        case .delete:
            try await connection.query("DELETE FROM profiles WHERE user_id = \(userId)", logger: logger)
            try await connection.query("DELETE FROM notification_preferences WHERE user_id = \(userId)", logger: logger)
        }
        try await connection.query("DELETE FROM addresses WHERE user_id = \(userId)", logger: logger)
        try await connection.query("DELETE FROM customer_index WHERE user_id = \(userId)", logger: logger)
        await ProfileStore.dropCached(userId, runtime.cache)
        try await runtime.outbox.enqueue(
            Topics.profileAnonymized, userId: userId, payload: ProfileAnonymized(userId: userId, anonymizedAt: now),
            correlationId: correlationId, on: connection, logger: logger)
    }
}
