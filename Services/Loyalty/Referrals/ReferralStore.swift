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

/// Referral codes and referrals. Completing a referral credits both parties through the
/// ledger in the same transaction as the status change and `customer.referral.completed`.
///
/// Lock order, everywhere: the advisory locks of `apply` and `OrderEarnings` first, then the
/// referral row, then the accounts sorted by user id (as `UserID`s: byte order), then lots.
struct ReferralStore: Sendable {
    struct Rewards: Sendable {
        let referrerPoints: Int
        let refereePoints: Int
    }

    struct Stats: Codable, Sendable {
        let totalReferrals: Int
        let pendingReferrals: Int
        let completedReferrals: Int
        let totalPointsEarned: Int
    }

    struct Validation: Codable, Sendable {
        var valid = true
        let code: String
        @Nullable var referrerName: String?
    }

    let ledger: LedgerStore
    let rewards: Rewards
    var runtime: Runtime { ledger.runtime }
    var logger: Logger { ledger.logger }

    static let columns = """
        id, code, referrer_id, referee_id, status, referrer_points_awarded, referee_points_awarded, order_id, created_at, completed_at
        """

    /// The caller's code, created on the first call (`created` tells which).
    func generate(for userId: String) async throws -> (code: String, createdAt: Date, created: Bool) {
        if let existing = try await code(of: userId) { return (existing.code, existing.createdAt, false) }
        // 32^8 codes make a collision rare; another try settles it.
        for _ in 0..<5 {
            do {
                for try await (code, createdAt) in try await runtime.database.query(
                    """
                    INSERT INTO referral_codes (user_id, code) VALUES (\(userId), \(ReferralCode.generate()))
                    ON CONFLICT (user_id) DO NOTHING RETURNING code, created_at
                    """
                ).decode((String, Date).self) {
                    return (code, createdAt, true)
                }
                // A concurrent call of the same user created it first.
                if let existing = try await code(of: userId) { return (existing.code, existing.createdAt, false) }
            } catch StorageError.uniqueViolation {
                continue
            }
        }
        throw AppError.internalError
    }

    func code(of userId: String) async throws -> (code: String, createdAt: Date)? {
        try await runtime.database.query(
            "SELECT code, created_at FROM referral_codes WHERE user_id = \(userId)"
        ).decode((String, Date).self).firstElement()
    }

    /// The same, on `connection` (a data export's transaction, which an erasure applied ahead
    /// of its event may have changed).
    func code(of userId: String, on connection: PostgresConnection) async throws -> (code: String, createdAt: Date)? {
        try await connection.query(
            "SELECT code, created_at FROM referral_codes WHERE user_id = \(userId)", logger: logger
        ).decode((String, Date).self).firstElement()
    }

    func list(referrer userId: String, page: Pagination) async throws -> ([Referral], Int) {
        let total =
            try await runtime.database.query(
                "SELECT count(*)::int FROM referrals WHERE referrer_id = \(userId)"
            ).value(Int.self) ?? 0
        let referrals = try await Self.referrals(
            runtime.database.query(
                """
                SELECT \(unescaped: Self.columns) FROM referrals WHERE referrer_id = \(userId)
                ORDER BY created_at DESC, id LIMIT \(page.limit) OFFSET \(page.offset)
                """))
        return (referrals, total)
    }

    /// Every referral the customer made or was brought in by, newest first (a data export).
    func all(involving userId: String) async throws -> [Referral] {
        try await Self.referrals(
            runtime.database.query(
                """
                SELECT \(unescaped: Self.columns) FROM referrals WHERE referrer_id = \(userId)
                UNION ALL
                SELECT \(unescaped: Self.columns) FROM referrals WHERE referee_id = \(userId)
                ORDER BY created_at DESC, id
                """))
    }

    func stats(referrer userId: String) async throws -> Stats {
        for try await (total, pending, completed, points) in try await runtime.database.query(
            """
            SELECT count(*)::int, (count(*) FILTER (WHERE status = 'PENDING'))::int, (count(*) FILTER (WHERE status = 'COMPLETED'))::int,
                   coalesce(sum(referrer_points_awarded), 0)::int
            FROM referrals WHERE referrer_id = \(userId)
            """
        ).decode((Int, Int, Int, Int).self) {
            return Stats(totalReferrals: total, pendingReferrals: pending, completedReferrals: completed, totalPointsEarned: points)
        }
        return Stats(totalReferrals: 0, pendingReferrals: 0, completedReferrals: 0, totalPointsEarned: 0)
    }

    /// Where the public validation of `code` is cached; dropped when the referrer's name changes.
    static func validationKey(_ code: String, in cache: Cache) -> String { cache.key("referral-code", "body", code) }

    /// The validation's whole body from Redis, or read and kept; nil for an unknown code.
    func cachedValidation(of code: String) async throws -> String? {
        try await runtime.cache.fetchJSON(Self.validationKey(code, in: runtime.cache)) { try await validation(of: code).map { SuccessBody($0) } }
    }

    /// A known code with its referrer's display name; nil for an unknown one.
    func validation(of code: String) async throws -> Validation? {
        for try await (code, firstName, lastName) in try await runtime.database.query(
            """
            SELECT c.code, n.first_name, n.last_name FROM referral_codes c LEFT JOIN customer_names n USING (user_id)
            WHERE c.code = \(code)
            """
        ).decode((String, String?, String?).self) {
            return Validation(code: code, referrerName: CustomerNames.displayName(firstName: firstName, lastName: lastName))
        }
        return nil
    }

    /// The caller becomes the referee of `code`'s owner (CONTRACT §9's checks, in order;
    /// the code is already well formed). Two locks, always in this order: the pair's, so that
    /// two customers applying each other's codes at once are ordered; then the caller's, which
    /// `OrderEarnings` takes for each paid order, so that an order paid meanwhile is seen here
    /// or sees this referral. The consumer may hold many customers' locks in a batch, but never
    /// a pair's, and this holds only one customer's: no cycle can form.
    func apply(code: String, referee userId: String) async throws -> Referral {
        try await runtime.database.transaction { connection in
            let referrer = try await connection.query(
                "SELECT user_id FROM referral_codes WHERE code = \(code)", logger: logger
            ).value(String.self)
            guard let referrer else { throw AppError.notFound("Referral code not found") }
            guard UserID(referrer) != UserID(userId) else { throw Self.selfReferral("You cannot use your own referral code") }
            let pair = [referrer, userId].sorted { UserID($0) < UserID($1) }
            try await connection.lockUntilCommit("referral-pair:\(pair[0].utf8.count):\(pair[0]):\(pair[1])", logger: logger)
            try await connection.lockUntilCommit(Self.customerLock(userId), logger: logger)
            let (referred, mutual, paid) =
                try await connection.query(
                    """
                    SELECT EXISTS (SELECT 1 FROM referrals WHERE referee_id = \(userId)),
                           EXISTS (SELECT 1 FROM referrals WHERE referee_id = \(referrer) AND referrer_id = \(userId)),
                           EXISTS (SELECT 1 FROM paid_orders WHERE user_id = \(userId))
                    """, logger: logger
                ).decode((Bool, Bool, Bool).self).firstElement() ?? (false, false, false)
            guard !referred else { throw AppError.conflict("You have already been referred") }
            guard !mutual else { throw Self.selfReferral("You referred the owner of this code: two customers cannot refer each other") }
            guard !paid else { throw AppError.conflict("Referrals are for new customers: you already have a paid order") }
            let inserted = try await Self.referrals(
                connection.query(
                    """
                    INSERT INTO referrals (id, code, referrer_id, referee_id) VALUES (\(UUID()), \(code), \(referrer), \(userId))
                    ON CONFLICT (referee_id) DO NOTHING RETURNING \(unescaped: Self.columns)
                    """, logger: logger))
            guard let referral = inserted.first else { throw AppError.conflict("You have already been referred") }
            return referral
        }
    }

    /// Orders a customer's referral application against their paid orders.
    static func customerLock(_ userId: String) -> String { "referrals:" + userId }

    private static func selfReferral(_ message: String) -> AppError {
        AppError.badRequest(message, code: "SELF_REFERRAL")
    }

    /// Admin completion: 404 for an unknown id, 409 INVALID_STATE when already completed.
    func complete(_ id: UUID, referrerPoints: Int?, refereePoints: Int?, orderId: String?, correlationId: String) async throws -> Referral {
        try await runtime.database.transaction { connection in
            let locked = try await Self.referrals(
                connection.query(
                    "SELECT \(unescaped: Self.columns) FROM referrals WHERE id = \(id) FOR UPDATE", logger: logger))
            guard let referral = locked.first else { throw AppError.notFound("Referral not found") }
            guard referral.status == .pending else { throw AppError.invalidState("The referral is already completed") }
            return try await complete(
                referral, referrerPoints: referrerPoints ?? rewards.referrerPoints, refereePoints: refereePoints ?? rewards.refereePoints,
                orderId: orderId, correlationId: correlationId, on: connection)
        }
    }

    /// The referee's pending referral, locked for completion; call before touching accounts.
    func lockPending(referee userId: String, on connection: PostgresConnection) async throws -> Referral? {
        try await Self.referrals(
            connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM referrals WHERE referee_id = \(userId) AND status = 'PENDING' FOR UPDATE
                """, logger: logger)
        ).first
    }

    /// Locks both parties' accounts in a fixed order, so two completions never wait on each other.
    func lockParties(_ referral: Referral, on connection: PostgresConnection) async throws {
        for userId in [referral.referrerId, referral.refereeId].sorted(by: { UserID($0) < UserID($1) }) {
            _ = try await ledger.lock(userId, on: connection)
        }
    }

    /// Completes a locked pending referral: both EARN entries, the status, the event.
    func complete(
        _ referral: Referral, referrerPoints: Int, refereePoints: Int, orderId: String?, correlationId: String,
        on connection: PostgresConnection
    ) async throws -> Referral {
        try await lockParties(referral, on: connection)
        let credits = [(referral.referrerId, referrerPoints, "Referral reward"), (referral.refereeId, refereePoints, "Referral welcome bonus")]
        for (userId, points, reason) in credits where points > 0 {
            _ = try await ledger.apply(
                TransactionRequest(
                    userId: userId, type: .earn, change: points, reason: reason,
                    referenceType: "REFERRAL", referenceId: referral.id.lowercasedString),
                idempotencyKey: nil, correlationId: correlationId, on: connection)
        }
        let completed = try await Self.referrals(
            connection.query(
                """
                UPDATE referrals SET status = 'COMPLETED', referrer_points_awarded = \(referrerPoints), referee_points_awarded = \(refereePoints),
                    order_id = \(orderId), completed_at = clock_timestamp()
                WHERE id = \(referral.id) RETURNING \(unescaped: Self.columns)
                """, logger: logger))[0]
        try await runtime.outbox.enqueue(
            Topics.referralCompleted, userId: referral.referrerId,
            payload: ReferralCompleted(
                referralId: referral.id, referrerId: referral.referrerId, refereeId: referral.refereeId,
                referrerPoints: referrerPoints, refereePoints: refereePoints),
            correlationId: correlationId, on: connection, logger: logger)
        return completed
    }

    static func referrals(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [Referral] {
        var referrals: [Referral] = []
        for try await (id, code, referrerId, refereeId, status, referrerPoints, refereePoints, orderId, createdAt, completedAt)
            in rows.decode((UUID, String, String, String, String, Int, Int, String?, Date, Date?).self)
        {
            referrals.append(
                Referral(
                    id: id, code: code, referrerId: referrerId, refereeId: refereeId, status: try .stored(status),
                    referrerPointsAwarded: referrerPoints, refereePointsAwarded: refereePoints, orderId: orderId,
                    createdAt: createdAt, completedAt: completedAt))
        }
        return referrals
    }
}
