import Contracts
import Domain
import EventBus
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

/// The points ledger. Every balance change writes the ledger entry, moves the earned lots
/// (oldest first), updates the balance and enqueues the events in one statement, which
/// applies only if the account is still at the version the change was computed from.
struct LedgerStore: Sendable {
    let runtime: Runtime
    let thresholds: LoyaltyTierThresholds
    let expiryDays: Int
    var logger: Logger { runtime.logger }

    static let entryColumns = "id, user_id, type, points, balance_after, reason, reference_type, reference_id, expires_at, created_at"

    /// An account's state before a change.
    struct State {
        var balance: Int
        var lifetime: Int
        var tier: LoyaltyTier
        var version: Int64

        static let columns = "points_balance, lifetime_points, tier, version"

        init(row: PostgresRow) throws {
            let (balance, lifetime, tier, version) = try row.decode((Int, Int, String, Int64).self)
            (self.balance, self.lifetime, self.tier, self.version) = (balance, lifetime, try .stored(tier), version)
        }
    }

    /// A balance change, computed from the state before it.
    struct Change {
        var entry: LedgerEntry
        var lifetime: Int
        var redeemed = 0
        var expired = 0
        /// Points taken from the oldest lots (spending).
        var consumed = 0
    }

    // MARK: Reading

    /// The account, created (0 points, BRONZE) on first access.
    func account(_ userId: String, now: Date = Date()) async throws -> Account {
        try await createdOnFirstUse(userId) { try await find(userId, now: now) }
    }

    /// `read`'s result, creating the account first when `read` finds none.
    private func createdOnFirstUse<Result>(_ userId: String, _ read: () async throws -> Result?) async throws -> Result {
        if let result = try await read() { return result }
        try await runtime.database.query("INSERT INTO accounts (user_id) VALUES (\(userId)) ON CONFLICT DO NOTHING")
        guard let result = try await read() else { throw AppError.internalError }
        return result
    }

    /// Where `GET /loyalty` caches its whole body; every change drops it after committing.
    func cacheKey(_ userId: String) -> String { runtime.cache.key("account", "body", userId) }

    /// `GET /loyalty`'s body from Redis, or the account read (created on first access) and kept.
    func cachedAccount(_ userId: String) async throws -> String {
        try await runtime.cache.body(cacheKey(userId)) { SuccessBody(try await account(userId)) }
    }

    /// The account, or nil when the customer has none (a data export must not create one).
    func find(_ userId: String, now: Date = Date()) async throws -> Account? {
        let soon = now.addingTimeInterval(30 * 86_400)
        for try await (points, lifetime, redeemed, expired, tier, createdAt, updatedAt, expiring) in try await runtime.database.query(
            """
            SELECT points_balance, lifetime_points, redeemed_points, expired_points, tier, created_at, updated_at,
                   (SELECT coalesce(sum(remaining), 0)::int FROM lots WHERE user_id = \(userId) AND remaining > 0 AND expires_at <= \(soon))
            FROM accounts WHERE user_id = \(userId)
            """
        ).decode((Int, Int, Int, Int, String, Date, Date, Int).self) {
            let next = thresholds.next(lifetimePoints: lifetime)
            return Account(
                userId: userId, points: points, lifetimePoints: lifetime, redeemedPoints: redeemed, expiredPoints: expired,
                tier: try .stored(tier), nextTier: next?.tier, pointsToNextTier: next?.pointsNeeded,
                expiringSoon: expiring > 0 ? .init(points: expiring, before: soon) : nil,
                createdAt: createdAt, updatedAt: updatedAt)
        }
        return nil
    }

    // MARK: Changing

    /// Applies an admin transaction. With an idempotency key, a repeat returns the first
    /// result and writes nothing; the key reused for a different transaction is a 409.
    func post(_ request: TransactionRequest, idempotencyKey: String?, correlationId: String) async throws -> LedgerEntry {
        if let idempotencyKey, let earlier = try await entry(idempotencyKey: idempotencyKey) { return try request.repeated(by: earlier) }
        do {
            // Optimistic first: read the account, then one autocommitted statement that
            // applies only if nothing changed it meanwhile — two round trips, no explicit
            // transaction. A request with an idempotency key, or one that lost that race,
            // queues on the account's row lock instead, where a repeat of the key finds the
            // first result rather than a balance it already changed.
            if idempotencyKey == nil {
                let state = try await currentState(request.userId)
                if let entry = try await write(
                    plan(request, over: state), over: state, idempotencyKey: nil, correlationId: correlationId,
                    {
                        try await runtime.database.execute($0).first
                    })
                {
                    return entry
                }
            }
            return try await runtime.database.transaction { connection in
                try await apply(request, idempotencyKey: idempotencyKey, correlationId: correlationId, on: connection)
            }
        } catch StorageError.uniqueViolation(let constraint) where constraint.contains("idempotency") {
            // The same key raced us and won: answer with its result.
            if let idempotencyKey, let earlier = try await entry(idempotencyKey: idempotencyKey) { return try request.repeated(by: earlier) }
            throw AppError.conflict()
        }
    }

    /// The balance change inside the caller's transaction (an event handler's, for instance),
    /// under the account's row lock. `at` backdates the entry and its lot (tests of expiry,
    /// replays); by default it is now.
    func apply(
        _ request: TransactionRequest, idempotencyKey: String?, correlationId: String, at: Date? = nil,
        on connection: PostgresConnection
    ) async throws -> LedgerEntry {
        let state = try await lock(request.userId, on: connection)
        if let idempotencyKey,
            let earlier = try await Self.entries(connection.query(Self.entry(idempotencyKey: idempotencyKey), logger: logger)).first
        {
            return try request.repeated(by: earlier)
        }
        let change = try plan(request, over: state, at: at)
        guard
            let entry = try await write(
                change, over: state, idempotencyKey: idempotencyKey, correlationId: correlationId,
                { statement in
                    try await connection.execute(statement, logger: logger).firstElement()
                })
        else { throw AppError.internalError }  // cannot happen: the row is locked
        return entry
    }

    /// Expires what is left of the lots whose expiry is at or before `now` as one EXPIRE
    /// entry; nil when nothing is due (so a second run changes nothing).
    func expire(_ userId: String, now: Date, correlationId: String, on connection: PostgresConnection) async throws -> LedgerEntry? {
        let state = try await lock(userId, on: connection)
        let due =
            try await connection.query(
                """
                WITH due AS (
                    SELECT transaction_id, remaining FROM lots
                    WHERE user_id = \(userId) AND remaining > 0 AND expires_at <= \(now) FOR UPDATE
                ), spent AS (
                    UPDATE lots SET remaining = 0 FROM due WHERE lots.transaction_id = due.transaction_id
                )
                SELECT coalesce(sum(remaining), 0)::int FROM due
                """, logger: logger
            ).value(Int.self) ?? 0
        // The lots always add up to the balance. If they ever do not, write nothing (the
        // caller's transaction rolls back) and say so.
        guard due <= state.balance else {
            logger.error(
                "loyalty lots exceed the balance; account left unexpired",
                metadata: ["userId": "\(userId)", "due": "\(due)", "balance": .stringConvertible(state.balance)])
            throw AppError.internalError
        }
        guard due > 0 else { return nil }
        let entry = LedgerEntry(
            id: UUID(), userId: userId, type: .expire, points: -due, balanceAfter: state.balance - due,
            reason: "Points expired", referenceType: nil, referenceId: nil, expiresAt: nil, createdAt: Date())
        return try await write(
            Change(entry: entry, lifetime: state.lifetime, expired: due), over: state,
            idempotencyKey: nil, correlationId: correlationId
        ) { try await connection.execute($0, logger: logger).firstElement() }
    }

    /// The change `request` makes to an account in `state`, or 400 INSUFFICIENT_POINTS.
    func plan(_ request: TransactionRequest, over state: State, at: Date? = nil) throws -> Change {
        let change = request.change
        guard state.balance + change >= 0 else {
            throw AppError.badRequest("Insufficient points: the balance is \(state.balance)", code: "INSUFFICIENT_POINTS")
        }
        // The columns are 32-bit, like the points of any real programme.
        guard state.balance + change <= Int(Int32.max), state.lifetime + max(0, change) <= Int(Int32.max) else {
            throw AppError.badRequest("The balance would exceed \(Int32.max) points")
        }
        let now = at ?? Date()
        let entry = LedgerEntry(
            id: UUID(), userId: request.userId, type: request.type, points: change, balanceAfter: state.balance + change,
            reason: request.reason, referenceType: request.referenceType, referenceId: request.referenceId,
            expiresAt: change > 0 ? now.addingTimeInterval(Double(expiryDays) * 86_400) : nil, createdAt: now)
        // Positive changes count towards the tier; negative adjustments take it back, not below 0.
        return Change(
            entry: entry, lifetime: request.type == .redeem ? state.lifetime : max(0, state.lifetime + change),
            redeemed: request.type == .redeem ? -change : 0, consumed: max(0, -change))
    }

    /// The account's state without locking it, creating the account on first use.
    private func currentState(_ userId: String) async throws -> State {
        try await createdOnFirstUse(userId) { try await runtime.database.execute(LedgerStatements.ReadState(userId: userId)).first }
    }

    /// Creates the account if needed and locks its row until the transaction ends, in one
    /// statement: concurrent changes to one account queue here, so none can overdraw it.
    func lock(_ userId: String, on connection: PostgresConnection) async throws -> State {
        let rows = try await connection.query(
            """
            INSERT INTO accounts (user_id) VALUES (\(userId))
            ON CONFLICT (user_id) DO UPDATE SET user_id = EXCLUDED.user_id
            RETURNING \(unescaped: State.columns)
            """, logger: logger)
        guard let row = try await rows.firstElement() else { throw AppError.internalError }
        return try State(row: row)
    }

    /// Writes `change` in one statement (`LedgerStatements.WriteChange`) if the account is
    /// still at `state.version`; nil if another change came first (then nothing was written).
    private func write(
        _ change: Change, over state: State, idempotencyKey: String?, correlationId: String,
        _ run: (LedgerStatements.WriteChange) async throws -> Int?
    ) async throws -> LedgerEntry? {
        let entry = change.entry
        let userId = entry.userId
        let tier = thresholds.tier(lifetimePoints: change.lifetime)
        let outbox = runtime.outbox
        var events = OutboxRows()
        try outbox.add(
            Topics.loyaltyAccountUpdated, userId: userId,
            payload: LoyaltyAccountUpdated(
                userId: userId, points: entry.balanceAfter, lifetimePoints: change.lifetime, tier: tier, transactionId: entry.id),
            correlationId: correlationId, to: &events)
        if entry.type == .earn {
            try outbox.add(
                Topics.loyaltyPointsEarned, userId: userId,
                payload: LoyaltyPointsEarned(
                    userId: userId, transactionId: entry.id, points: entry.points, balance: entry.balanceAfter, lifetimePoints: change.lifetime,
                    tier: tier, reason: entry.reason, referenceType: entry.referenceType, referenceId: entry.referenceId),
                correlationId: correlationId, to: &events)
        }
        if tier != state.tier {
            try outbox.add(
                Topics.loyaltyTierChanged, userId: userId,
                payload: LoyaltyTierChanged(userId: userId, previousTier: state.tier, tier: tier, lifetimePoints: change.lifetime),
                correlationId: correlationId, to: &events)
        }

        let written = try await run(
            LedgerStatements.WriteChange(
                change: change, tier: tier, version: state.version, idempotencyKey: idempotencyKey, events: events))
        guard written == 1 else { return nil }
        await outbox.wakeRelayAfterCommit()
        await runtime.cache.invalidateAfterCommit([cacheKey(userId)])
        return entry
    }

    // MARK: History

    func history(_ userId: String, type: LedgerEntry.Kind?, from: Date?, to: Date?, page: Pagination) async throws -> ([LedgerEntry], Int) {
        let kind = type?.rawValue
        let total =
            try await runtime.database.query(
                """
                SELECT count(*)::int FROM transactions
                WHERE user_id = \(userId) AND (\(kind)::text IS NULL OR type = \(kind))
                  AND (\(from)::timestamptz IS NULL OR created_at >= \(from)) AND (\(to)::timestamptz IS NULL OR created_at <= \(to))
                """
            ).value(Int.self) ?? 0
        let entries = try await Self.entries(
            runtime.database.query(
                """
                SELECT \(unescaped: Self.entryColumns) FROM transactions
                WHERE user_id = \(userId) AND (\(kind)::text IS NULL OR type = \(kind))
                  AND (\(from)::timestamptz IS NULL OR created_at >= \(from)) AND (\(to)::timestamptz IS NULL OR created_at <= \(to))
                ORDER BY created_at DESC, id LIMIT \(page.limit) OFFSET \(page.offset)
                """))
        return (entries, total)
    }

    func entry(idempotencyKey: String) async throws -> LedgerEntry? {
        try await Self.entries(runtime.database.query(Self.entry(idempotencyKey: idempotencyKey))).first
    }

    static func entry(idempotencyKey: String) -> PostgresQuery {
        "SELECT \(unescaped: entryColumns) FROM transactions WHERE idempotency_key = \(idempotencyKey)"
    }

    static func entries(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [LedgerEntry] {
        var entries: [LedgerEntry] = []
        for try await (id, userId, type, points, balanceAfter, reason, referenceType, referenceId, expiresAt, createdAt)
            in rows.decode((UUID, String, String, Int, Int, String, String?, String?, Date?, Date).self)
        {
            entries.append(
                LedgerEntry(
                    id: id, userId: userId, type: try .stored(type), points: points, balanceAfter: balanceAfter,
                    reason: reason, referenceType: referenceType, referenceId: referenceId, expiresAt: expiresAt, createdAt: createdAt))
        }
        return entries
    }
}
