import Contracts
import PostgresNIO
import ServiceKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

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

    /// Returns the anonymisation's time, as `customer.profile.anonymized` carries it (and as
    /// an export request names it). It is read after the profile row is gone or locked, so a
    /// `customer.profile.updated` that committed before is older in every projection; and it is
    /// rounded up to the millisecond, the precision events travel with, so that what is kept
    /// here and what travels compare exactly.
    @discardableResult
    static func apply(
        _ userId: String, profileRow: ProfileRow, runtime: Runtime, correlationId: String, on connection: PostgresConnection
    ) async throws -> Date {
        let logger = runtime.logger
        if case .delete = profileRow {
            try await connection.query("DELETE FROM profiles WHERE user_id = \(userId)", logger: logger)
            try await connection.query("DELETE FROM notification_preferences WHERE user_id = \(userId)", logger: logger)
        }
        let now = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded(.up) / 1000)
        if case .scrub = profileRow {
            try await connection.query(
                """
                UPDATE profiles SET first_name = 'Anonymised', last_name = 'Customer', email = NULL, phone = NULL,
                    date_of_birth = NULL, avatar_url = NULL, marketing_consent = false, marketing_consent_date = NULL,
                    anonymized_at = \(now), updated_at = now()
                WHERE user_id = \(userId)
                """, logger: logger)
        }
        try await connection.query("DELETE FROM addresses WHERE user_id = \(userId)", logger: logger)
        try await connection.query("DELETE FROM customer_index WHERE user_id = \(userId)", logger: logger)
        await ProfileStore.dropCached(userId, runtime.cache)
        try await runtime.outbox.enqueue(
            Topics.profileAnonymized, userId: userId, payload: ProfileAnonymized(userId: userId, anonymizedAt: now),
            correlationId: correlationId, occurredAt: now, on: connection, logger: logger)
        return now
    }
}
