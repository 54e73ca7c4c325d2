import Contracts
import EventBus
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The ledger's two hot statements as prepared statements: parsed and planned once per
/// pooled connection instead of on every request. Planning the write's six CTEs was about
/// a quarter of Postgres's CPU under the write benchmark.
enum LedgerStatements {
    /// An account's state, read without locking it.
    struct ReadState: PostgresPreparedStatement {
        static let sql = "SELECT \(LedgerStore.State.columns) FROM accounts WHERE user_id = $1"
        static let bindingDataTypes: [PostgresDataType] = [.text]
        typealias Row = LedgerStore.State

        let userId: String

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(userId)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try LedgerStore.State(row: row) }
    }

    /// One balance change: the entry, its lot or the oldest lots it spends, the balance and
    /// the events, applied only if the account is still at `version`. Data-modifying CTEs
    /// share one snapshot; each step depends on `account`, so nothing is written unless the
    /// versioned update matched. The lots the spending reads are current whenever it did:
    /// every change to lots comes with a version bump. Returns 1 row when written, 0 when
    /// another change came first.
    struct WriteChange: PostgresPreparedStatement {
        static let sql = """
            WITH account AS (
                UPDATE accounts SET points_balance = $1, lifetime_points = $2, tier = $3,
                    redeemed_points = redeemed_points + $4, expired_points = expired_points + $5,
                    version = version + 1, updated_at = now()
                WHERE user_id = $6 AND version = $7
                RETURNING user_id
            ), entry AS (
                INSERT INTO transactions (id, user_id, type, points, balance_after, reason, reference_type, reference_id, expires_at,
                                          idempotency_key, created_at)
                SELECT $8, user_id, $9, $10, $1, $11, $12, $13, $14, $15, $16 FROM account
                RETURNING id
            ), earned AS (
                INSERT INTO lots (transaction_id, user_id, remaining, earned_at, expires_at)
                SELECT id, $6, $10, $16, $14 FROM entry WHERE $14 IS NOT NULL
            ), open AS (
                SELECT transaction_id, remaining, sum(remaining) OVER (ORDER BY earned_at, transaction_id) - remaining AS before
                FROM lots WHERE user_id = $6 AND remaining > 0 AND $17 > 0
            ), spent AS (
                UPDATE lots SET remaining = lots.remaining - least(open.remaining, $17 - open.before)
                FROM open, account WHERE lots.transaction_id = open.transaction_id AND open.before < $17
            ), events AS (
                INSERT INTO outbox (id, topic, key, value, traceparent, tracestate)
                SELECT events.*, $22, $23 FROM unnest($18::uuid[], $19::text[], $20::text[], $21::text[]) AS events, account
            )
            SELECT count(*)::int FROM entry
            """
        static let bindingDataTypes: [PostgresDataType] = [
            .int8, .int8, .text, .int8, .int8, .text, .int8, .uuid, .text, .int8, .text, .text, .text, .timestamptz, .text,
            .timestamptz, .int8, .uuidArray, .textArray, .textArray, .textArray, .text, .text,
        ]
        typealias Row = Int

        let change: LedgerStore.Change
        let tier: LoyaltyTier
        let version: Int64
        let idempotencyKey: String?
        let events: OutboxRows

        func makeBindings() -> PostgresBindings {
            let entry = change.entry
            var bindings = PostgresBindings(capacity: 23)
            bindings.append(entry.balanceAfter)
            bindings.append(change.lifetime)
            bindings.append(tier.rawValue)
            bindings.append(change.redeemed)
            bindings.append(change.expired)
            bindings.append(entry.userId)
            bindings.append(version)
            bindings.append(entry.id)
            bindings.append(entry.type.rawValue)
            bindings.append(entry.points)
            bindings.append(entry.reason)
            bindings.append(entry.referenceType)
            bindings.append(entry.referenceId)
            bindings.append(entry.expiresAt)
            bindings.append(idempotencyKey)
            bindings.append(entry.createdAt)
            bindings.append(change.consumed)
            bindings.append(events.ids)
            bindings.append(events.topics)
            bindings.append(events.keys)
            bindings.append(events.values)
            bindings.append(events.traceParent)
            bindings.append(events.traceState)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Int { try row.decode(Int.self) }
    }
}
