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
        if let account = try await find(userId, now: now) { return account }
        try await runtime.database.query("INSERT INTO accounts (user_id) VALUES (\(userId)) ON CONFLICT DO NOTHING")
        guard let account = try await find(userId, now: now) else { throw AppError.internalError }
        return account
    }

    private func find(_ userId: String, now: Date) async throws -> Account? {
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
        return nil
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
    /// `at` backdates the entry and its lot (tests of expiry, replays); by default it is now.
    func apply(
        _ request: TransactionRequest, idempotencyKey: String?, correlationId: String, at: Date? = nil,
        on connection: PostgresConnection
    ) async throws -> LedgerEntry {
        let userId = request.userId, change = request.change
        let state = try await lock(userId, on: connection)
        guard state.balance + change >= 0 else {
            throw AppError.badRequest("Insufficient points: the balance is \(state.balance)", code: "INSUFFICIENT_POINTS")
        }
        // Positive changes count towards the tier; negative adjustments take it back, not below 0.
        let lifetime = request.type == .REDEEM ? state.lifetime : max(0, state.lifetime + change)
        let now = at ?? Date()
        let expiresAt: Date? = change > 0 ? now.addingTimeInterval(Double(expiryDays) * 86_400) : nil
        let entry = try await insert(
            LedgerEntry(
                id: UUID(), userId: userId, type: request.type, points: change, balanceAfter: state.balance + change,
                reason: request.reason, referenceType: request.referenceType, referenceId: request.referenceId,
                expiresAt: expiresAt, createdAt: now),
            idempotencyKey: idempotencyKey, on: connection)
        if let expiresAt {
            try await connection.query("""
                INSERT INTO lots (transaction_id, user_id, remaining, earned_at, expires_at)
                VALUES (\(entry.id), \(userId), \(change), \(now), \(expiresAt))
                """, logger: logger)
        } else {
            try await consumeOldestLots(userId, points: -change, on: connection)
        }
        try await save(entry, lifetime: lifetime, redeemed: request.type == .REDEEM ? -change : 0, expired: 0,
                       previous: state, correlationId: correlationId, on: connection)
        return entry
    }

    /// Expires what is left of the lots whose expiry is at or before `now` as one EXPIRE
    /// entry; nil when nothing is due (so a second run changes nothing).
    func expire(_ userId: String, now: Date, correlationId: String, on connection: PostgresConnection) async throws -> LedgerEntry? {
        let state = try await lock(userId, on: connection)
        let due = try await connection.query("""
            WITH due AS (
                SELECT transaction_id, remaining FROM lots
                WHERE user_id = \(userId) AND remaining > 0 AND expires_at <= \(now) FOR UPDATE
            ), spent AS (
                UPDATE lots SET remaining = 0 FROM due WHERE lots.transaction_id = due.transaction_id
            )
            SELECT coalesce(sum(remaining), 0)::int FROM due
            """, logger: logger).value(Int.self) ?? 0
        // The lots always add up to the balance; min() keeps a damaged row from failing the run.
        let points = min(due, state.balance)
        guard points > 0 else { return nil }
        let entry = try await insert(
            LedgerEntry(
                id: UUID(), userId: userId, type: .EXPIRE, points: -points, balanceAfter: state.balance - points,
                reason: "Points expired", referenceType: nil, referenceId: nil, expiresAt: nil, createdAt: Date()),
            idempotencyKey: nil, on: connection)
        try await save(entry, lifetime: state.lifetime, redeemed: 0, expired: points, previous: state,
                       correlationId: correlationId, on: connection)
        return entry
    }

    /// An account's balance before a change.
    struct State {
        var balance: Int
        var lifetime: Int
        var tier: String
    }

    /// Creates the account if needed and locks its row until the transaction ends, in one
    /// statement: concurrent changes to one account queue here, so none can overdraw it.
    func lock(_ userId: String, on connection: PostgresConnection) async throws -> State {
        let rows = try await connection.query("""
            INSERT INTO accounts (user_id) VALUES (\(userId))
            ON CONFLICT (user_id) DO UPDATE SET user_id = EXCLUDED.user_id
            RETURNING points_balance, lifetime_points, tier
            """, logger: logger)
        for try await (balance, lifetime, tier) in rows.decode((Int, Int, String).self) {
            return State(balance: balance, lifetime: lifetime, tier: tier)
        }
        throw AppError.internalError
    }

    private func insert(_ entry: LedgerEntry, idempotencyKey: String?, on connection: PostgresConnection) async throws -> LedgerEntry {
        try await connection.query("""
            INSERT INTO transactions (id, user_id, type, points, balance_after, reason, reference_type, reference_id, expires_at,
                                      idempotency_key, created_at)
            VALUES (\(entry.id), \(entry.userId), \(entry.type.rawValue), \(entry.points), \(entry.balanceAfter), \(entry.reason),
                    \(entry.referenceType), \(entry.referenceId), \(entry.expiresAt), \(idempotencyKey), \(entry.createdAt))
            """, logger: logger)
        return entry
    }

    /// Writes the account's new state and enqueues the events of the change.
    private func save(
        _ entry: LedgerEntry, lifetime: Int, redeemed: Int, expired: Int, previous: State, correlationId: String,
        on connection: PostgresConnection
    ) async throws {
        let userId = entry.userId, balance = entry.balanceAfter
        let tier = thresholds.tier(lifetimePoints: lifetime).rawValue
        try await connection.query("""
            UPDATE accounts SET points_balance = \(balance), lifetime_points = \(lifetime), tier = \(tier),
                redeemed_points = redeemed_points + \(redeemed), expired_points = expired_points + \(expired), updated_at = now()
            WHERE user_id = \(userId)
            """, logger: logger)

        let outbox = runtime.outbox
        try await outbox.enqueue(
            Topics.loyaltyAccountUpdated, userId: userId,
            payload: LoyaltyAccountUpdated(userId: userId, points: balance, lifetimePoints: lifetime, tier: tier, transactionId: entry.id),
            correlationId: correlationId, on: connection, logger: logger)
        if entry.type == .EARN {
            try await outbox.enqueue(
                Topics.loyaltyPointsEarned, userId: userId,
                payload: LoyaltyPointsEarned(
                    userId: userId, transactionId: entry.id, points: entry.points, balance: balance, lifetimePoints: lifetime,
                    tier: tier, reason: entry.reason, referenceType: entry.referenceType, referenceId: entry.referenceId),
                correlationId: correlationId, on: connection, logger: logger)
        }
        if tier != previous.tier {
            try await outbox.enqueue(
                Topics.loyaltyTierChanged, userId: userId,
                payload: LoyaltyTierChanged(userId: userId, previousTier: previous.tier, tier: tier, lifetimePoints: lifetime),
                correlationId: correlationId, on: connection, logger: logger)
        }
    }

    /// Spending takes from the oldest lots first, in one statement. The caller holds the
    /// account's row lock, which every writer of this user's lots takes first.
    private func consumeOldestLots(_ userId: String, points: Int, on connection: PostgresConnection) async throws {
        try await connection.query("""
            WITH open AS (
                SELECT transaction_id, remaining,
                       sum(remaining) OVER (ORDER BY earned_at, transaction_id) - remaining AS before
                FROM lots WHERE user_id = \(userId) AND remaining > 0
            )
            UPDATE lots SET remaining = lots.remaining - least(open.remaining, \(points) - open.before)
            FROM open WHERE lots.transaction_id = open.transaction_id AND open.before < \(points)
            """, logger: logger)
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
