import Contracts
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

/// Profile SQL. Every write publishes `customer.profile.updated` through the outbox, in the
/// same transaction.
struct ProfileStore: Sendable {
    let runtime: Runtime
    var logger: Logger { runtime.logger }

    static let columns = """
        id, user_id, email, first_name, last_name, phone, date_of_birth::text, avatar_url, marketing_consent,
        marketing_consent_date, preferred_language, preferred_currency, is_verified, created_at, updated_at
        """

    func find(_ userId: String) async throws -> Profile? {
        try await Self.first(runtime.database.query("SELECT \(unescaped: Self.columns) FROM profiles WHERE user_id = \(userId)"))
    }

    /// 409 (unique violation on `user_id`) if the customer already has a profile.
    func create(_ userId: String, _ changes: ProfileChanges, tokenEmail: String?, correlationId: String) async throws -> Profile {
        let now = Date()
        let blank = Profile(
            id: UUID(), userId: userId, email: tokenEmail, firstName: "", lastName: "", phone: nil, dateOfBirth: nil,
            avatarUrl: nil, marketingConsent: false, marketingConsentDate: nil, preferredLanguage: "en",
            preferredCurrency: "GBP", isVerified: false, createdAt: now, updatedAt: now)
        let (profile, _) = changes.applied(to: blank, now: now)
        let runtime = self.runtime
        let logger = self.logger
        return try await runtime.database.transaction { connection in
            let created = try await Self.first(
                connection.query(
                    """
                    INSERT INTO profiles (id, user_id, email, first_name, last_name, phone, date_of_birth, avatar_url,
                        marketing_consent, marketing_consent_date, preferred_language, preferred_currency)
                    VALUES (\(profile.id), \(userId), \(profile.email), \(profile.firstName), \(profile.lastName), \(profile.phone),
                        \(profile.dateOfBirth)::date, \(profile.avatarUrl), \(profile.marketingConsent), \(profile.marketingConsentDate),
                        \(profile.preferredLanguage), \(profile.preferredCurrency))
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger))!
            try await Self.publish(
                created, action: .created, changed: ProfileFields.all, runtime: runtime, correlationId: correlationId, on: connection)
            return created
        }
    }

    /// nil if the customer has no profile. Publishes only when something changed.
    func update(_ userId: String, _ changes: ProfileChanges, correlationId: String) async throws -> Profile? {
        let runtime = self.runtime
        let logger = self.logger
        return try await runtime.database.transaction { connection -> Profile? in
            guard
                let current = try await Self.first(
                    connection.query(
                        "SELECT \(unescaped: Self.columns) FROM profiles WHERE user_id = \(userId) FOR UPDATE", logger: logger))
            else { return nil }
            let (next, changed) = changes.applied(to: current, now: Date())
            guard !changed.isEmpty else { return current }
            let updated = try await Self.first(
                connection.query(
                    """
                    UPDATE profiles SET email = \(next.email), first_name = \(next.firstName), last_name = \(next.lastName),
                        phone = \(next.phone), date_of_birth = \(next.dateOfBirth)::date, avatar_url = \(next.avatarUrl),
                        marketing_consent = \(next.marketingConsent), marketing_consent_date = \(next.marketingConsentDate),
                        preferred_language = \(next.preferredLanguage), preferred_currency = \(next.preferredCurrency),
                        updated_at = now()
                    WHERE user_id = \(userId)
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger))!
            try await Self.publish(updated, action: .updated, changed: changed, runtime: runtime, correlationId: correlationId, on: connection)
            return updated
        }
    }

    /// From `auth.user.created`: a profile with the auth data, unless one exists, or the
    /// customer asked to be erased after registering (`sync-customer-data` replays the topic
    /// for weeks; an erased customer's data must not come back). Returns whether it created one.
    @discardableResult
    static func createIfMissing(_ user: UserCreated, correlationId: String, runtime: Runtime, on connection: PostgresConnection) async throws -> Bool
    {
        guard
            let created = try await first(
                connection.query(
                    """
                    INSERT INTO profiles (id, user_id, email, first_name, last_name, phone)
                    SELECT \(UUID()), \(user.userId), \(user.email.lowercased()), \(user.firstName ?? ""), \(user.lastName ?? ""), \(user.phone)
                    WHERE NOT EXISTS (
                        SELECT 1 FROM privacy_requests WHERE user_id = \(user.userId) AND kind = 'ERASURE' AND status = 'ERASED'
                          AND requested_at >= \(user.registeredAt))
                    ON CONFLICT (user_id) DO NOTHING
                    RETURNING \(unescaped: columns)
                    """, logger: runtime.logger))
        else { return false }
        try await publish(created, action: .created, changed: ProfileFields.all, runtime: runtime, correlationId: correlationId, on: connection)
        return true
    }

    /// Publishes `customer.profile.updated`, refreshes the customer's search-index row and
    /// drops the cached profile once the transaction commits.
    static func publish(
        _ profile: Profile, action: ProfileUpdated.Action, changed: [String], runtime: Runtime, correlationId: String,
        on connection: PostgresConnection
    ) async throws {
        try await CustomerIndex.refresh(profile.userId, on: connection, logger: runtime.logger)
        try await runtime.outbox.enqueue(
            Topics.profileUpdated, userId: profile.userId,
            payload: ProfileUpdated(
                userId: profile.userId, action: action, changedFields: changed, firstName: profile.firstName,
                lastName: profile.lastName, email: profile.email, phone: profile.phone),
            correlationId: correlationId, on: connection, logger: runtime.logger)
        await dropCached(profile.userId, runtime.cache)
    }

    /// Where `GET /profile` caches the caller's profile.
    static func cacheKey(_ userId: String, _ cache: Cache) -> String { cache.key("profile", "body", userId) }

    /// `GET /profile`'s whole body from Redis, or the profile read and kept; nil when the caller has none.
    func cachedProfile(_ userId: String) async throws -> String? {
        try await runtime.cache.fetchJSON(Self.cacheKey(userId, runtime.cache)) { try await find(userId).map { SuccessBody($0) } }
    }

    /// Drops the cached profile after the surrounding transaction commits (`AfterCommit`).
    static func dropCached(_ userId: String, _ cache: Cache) async {
        await cache.invalidateAfterCommit([cacheKey(userId, cache)])
    }

    static func first(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> Profile? {
        try await all(rows).first
    }

    static func all(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [Profile] {
        var profiles: [Profile] = []
        for try await (
            id, userId, email, firstName, lastName, phone, dateOfBirth, avatarUrl, consent, consentDate, language, currency, verified, createdAt,
            updatedAt
        )
            in rows.decode((UUID, String, String?, String, String, String?, String?, String?, Bool, Date?, String, String, Bool, Date, Date).self)
        {
            profiles.append(
                Profile(
                    id: id, userId: userId, email: email, firstName: firstName, lastName: lastName, phone: phone,
                    dateOfBirth: dateOfBirth, avatarUrl: avatarUrl, marketingConsent: consent, marketingConsentDate: consentDate,
                    preferredLanguage: language, preferredCurrency: currency, isVerified: verified, createdAt: createdAt, updatedAt: updatedAt))
        }
        return profiles
    }
}

enum ProfileFields {
    static let all = [
        "email", "firstName", "lastName", "phone", "dateOfBirth", "avatarUrl", "marketingConsent",
        "marketingConsentDate", "preferredLanguage", "preferredCurrency",
    ]
}
