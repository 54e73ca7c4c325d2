import Foundation
import HTTPKit

/// The points ledger. Every balance change is one transaction that locks the account row,
/// writes the ledger entry, moves the earned lots (oldest first), updates the balance and
/// enqueues the events — or writes nothing at all.
struct LedgerStore: Sendable {
    let runtime: Runtime
    let thresholds: LoyaltyTierThresholds
    let expiryDays: Int
    var logger: Logger { runtime.logger }

    static let entryColumns = "id, user_id, type, points, balance_after, reason, reference_type, reference_id, expires_at, created_at"

    /// The account, created (0 points, BRONZE) on first access.
    func account(_ userId: String, now: Date = Date()) async throws -> Account {
        try await runtime.database.query("INSERT INTO accounts (user_id) VALUES (\(userId)) ON CONFLICT DO NOTHING")
        let soon = now.addingTimeInterval(30 * 86_400)
        for try await (points, lifetime, redeemed, expired, tier, createdAt, updatedAt, expiring) in try await runtime.database.query("""
            SELECT points_balance, lifetime_points, redeemed_points, expired_points, tier, created_at, updated_at,
                   (SELECT coalesce(sum(remaining), 0)::int FROM lots WHERE user_id = \(userId) AND remaining > 0 AND expires_at <= \(soon))
            FROM accounts WHERE user_id = \(userId)
            """).decode((Int, Int, Int, Int, String, Date, Date, Int).self) {
            let next = thresholds.next(lifetimePoints: lifetime)
            return Account(
                userId: userId, points: points, lifetimePoints: lifetime, redeemedPoints: redeemed, expiredPoints: expired,
                tier: tier, nextTier: next?.tier.rawValue, pointsToNextTier: next?.pointsNeeded,
                expiringSoon: expiring > 0 ? .init(points: expiring, before: soon) : nil,
                createdAt: createdAt, updatedAt: updatedAt)
        }
        throw AppError.internalError
    }

    /// Applies an admin transaction. With an idempotency key, a repeat returns the first
    /// result and writes nothing.
    func post(_ request: TransactionRequest, idempotencyKey: String?, correlationId: String) async throws -> LedgerEntry {
        if let idempotencyKey, let earlier = try await entry(idempotencyKey: idempotencyKey) { return earlier }
        do {
            return try await apply(request, idempotencyKey: idempotencyKey, correlationId: correlationId)
        } catch StorageError.uniqueViolation(let constraint) where constraint.contains("idempotency") {
            // The same key raced us and won: answer with its result.
            if let idempotencyKey, let earlier = try await entry(idempotencyKey: idempotencyKey) { return earlier }
            throw AppError.conflict()
        }
    }

    private func apply(_ request: TransactionRequest, idempotencyKey: String?, correlationId: String) async throws -> LedgerEntry {
        try await runtime.database.transaction { connection in
            try await apply(request, idempotencyKey: idempotencyKey, correlationId: correlationId, on: connection)
        }
    }

    /// The balance change inside the caller's transaction (an event handler's, for instance).
    func apply(_ request: TransactionRequest, idempotencyKey: String?, correlationId: String, on connection: PostgresConnection) async throws -> LedgerEntry {
        let runtime = self.runtime, logger = self.logger, thresholds = self.thresholds, expiryDays = self.expiryDays
        let userId = request.userId
        try await connection.query("INSERT INTO accounts (user_id) VALUES (\(userId)) ON CONFLICT DO NOTHING", logger: logger)
        var balance = 0, lifetime = 0, oldTier = LoyaltyTier.BRONZE.rawValue
        for try await (b, l, t) in try await connection.query(
            "SELECT points_balance, lifetime_points, tier FROM accounts WHERE user_id = \(userId) FOR UPDATE", logger: logger
        ).decode((Int, Int, String).self) {
            (balance, lifetime, oldTier) = (b, l, t)
        }
        let change = request.change
        guard balance + change >= 0 else {
            throw AppError.badRequest("Insufficient points: the balance is \(balance)", code: "INSUFFICIENT_POINTS")
        }
        let newBalance = balance + change
        // Positive changes count towards the tier; negative adjustments take it back, not below 0.
        let newLifetime = request.type == .REDEEM ? lifetime : max(0, lifetime + change)
        let newTier = thresholds.tier(lifetimePoints: newLifetime).rawValue
        let now = Date()
        let expiresAt: Date? = change > 0 ? now.addingTimeInterval(Double(expiryDays) * 86_400) : nil
        let id = UUID()

        let entry = try await Self.entries(connection.query("""
            INSERT INTO transactions (id, user_id, type, points, balance_after, reason, reference_type, reference_id, expires_at, idempotency_key)
            VALUES (\(id), \(userId), \(request.type.rawValue), \(change), \(newBalance), \(request.reason), \(request.referenceType),
                    \(request.referenceId), \(expiresAt), \(idempotencyKey))
            RETURNING \(unescaped: Self.entryColumns)
            """, logger: logger))[0]
        if let expiresAt {
            try await connection.query("""
                INSERT INTO lots (transaction_id, user_id, remaining, earned_at, expires_at) VALUES (\(id), \(userId), \(change), \(now), \(expiresAt))
                """, logger: logger)
        } else {
            try await Self.consumeOldestLots(userId, points: -change, connection, logger)
        }
        try await connection.query("""
            UPDATE accounts SET points_balance = \(newBalance), lifetime_points = \(newLifetime), tier = \(newTier),
                redeemed_points = redeemed_points + \(request.type == .REDEEM ? -change : 0), updated_at = now()
            WHERE user_id = \(userId)
            """, logger: logger)

        let outbox = runtime.outbox
        try await outbox.enqueue(
            Topics.loyaltyAccountUpdated, userId: userId,
            payload: LoyaltyAccountUpdated(userId: userId, points: newBalance, lifetimePoints: newLifetime, tier: newTier, transactionId: id),
            correlationId: correlationId, on: connection, logger: logger)
        if request.type == .EARN {
            try await outbox.enqueue(
                Topics.loyaltyPointsEarned, userId: userId,
                payload: LoyaltyPointsEarned(
                    userId: userId, transactionId: id, points: change, balance: newBalance, lifetimePoints: newLifetime,
                    tier: newTier, reason: request.reason, referenceType: request.referenceType, referenceId: request.referenceId),
                correlationId: correlationId, on: connection, logger: logger)
        }
        if newTier != oldTier {
            try await outbox.enqueue(
                Topics.loyaltyTierChanged, userId: userId,
                payload: LoyaltyTierChanged(userId: userId, previousTier: oldTier, tier: newTier, lifetimePoints: newLifetime),
                correlationId: correlationId, on: connection, logger: logger)
        }
        return entry
    }

    /// Spending takes from the oldest lots first.
    private static func consumeOldestLots(_ userId: String, points: Int, _ connection: PostgresConnection, _ logger: Logger) async throws {
        var left = points
        let lots = try await connection.query("""
            SELECT transaction_id, remaining FROM lots WHERE user_id = \(userId) AND remaining > 0 ORDER BY earned_at, transaction_id FOR UPDATE
            """, logger: logger)
        var takes: [(UUID, Int)] = []
        for try await (id, remaining) in lots.decode((UUID, Int).self) where left > 0 {
            let take = min(remaining, left)
            takes.append((id, take))
            left -= take
        }
        for (id, take) in takes {
            try await connection.query("UPDATE lots SET remaining = remaining - \(take) WHERE transaction_id = \(id)", logger: logger)
        }
    }

    func history(_ userId: String, type: LedgerEntry.Kind?, from: Date?, to: Date?, page: Pagination) async throws -> ([LedgerEntry], Int) {
        let kind = type?.rawValue
        let total = try await runtime.database.query("""
            SELECT count(*)::int FROM transactions
            WHERE user_id = \(userId) AND (\(kind)::text IS NULL OR type = \(kind))
              AND (\(from)::timestamptz IS NULL OR created_at >= \(from)) AND (\(to)::timestamptz IS NULL OR created_at <= \(to))
            """).value(Int.self) ?? 0
        let entries = try await Self.entries(runtime.database.query("""
            SELECT \(unescaped: Self.entryColumns) FROM transactions
            WHERE user_id = \(userId) AND (\(kind)::text IS NULL OR type = \(kind))
              AND (\(from)::timestamptz IS NULL OR created_at >= \(from)) AND (\(to)::timestamptz IS NULL OR created_at <= \(to))
            ORDER BY created_at DESC, id LIMIT \(page.limit) OFFSET \(page.offset)
            """))
        return (entries, total)
    }

    func entry(idempotencyKey: String) async throws -> LedgerEntry? {
        try await Self.entries(runtime.database.query(
            "SELECT \(unescaped: Self.entryColumns) FROM transactions WHERE idempotency_key = \(idempotencyKey)")).first
    }

    static func entries(_ rows: PostgresRowSequence) async throws -> [LedgerEntry] {
        var entries: [LedgerEntry] = []
        for try await (id, userId, type, points, balanceAfter, reason, referenceType, referenceId, expiresAt, createdAt)
            in rows.decode((UUID, String, String, Int, Int, String, String?, String?, Date?, Date).self) {
            entries.append(LedgerEntry(
                id: id, userId: userId, type: LedgerEntry.Kind(rawValue: type) ?? .ADJUSTMENT, points: points, balanceAfter: balanceAfter,
                reason: reason, referenceType: referenceType, referenceId: referenceId, expiresAt: expiresAt, createdAt: createdAt))
        }
        return entries
    }
}
