import Contracts
import EventBus
import Foundation
import PostgresNIO

/// `order.payment.succeeded`: the customer earns `floor(totalAmount × LOYALTY_POINTS_PER_POUND)`
/// once per order, and their pending referral completes if this is their first paid order
/// (CONTRACT §9: a referral applied after the first order never completes by itself). The
/// order is kept in `paid_orders`, whose key makes a redelivered event, or a second event for
/// the same order, change nothing.
enum OrderEarnings {
    static func register(on handlers: inout EventHandlers, referrals: ReferralStore, pointsPerPound: Decimal) {
        let ledger = referrals.ledger
        handlers.on(Topics.orderPaymentSucceeded) { event, connection in
            let order = event.payload
            let correlationId = event.id.lowercasedString
            let earned = points(for: order.totalAmount, perPound: pointsPerPound)
            // A referral being applied by this customer meanwhile is seen here, or sees this order.
            try await connection.lockUntilCommit(ReferralStore.customerLock(order.userId), logger: ledger.logger)
            // The CTE's insert is not visible to the count beside it: that counts earlier orders.
            let seen =
                try await connection.query(
                    """
                    WITH kept AS (
                        INSERT INTO paid_orders (order_id, user_id, paid_at) VALUES (\(order.orderId), \(order.userId), \(order.paidAt))
                        ON CONFLICT DO NOTHING RETURNING order_id
                    )
                    SELECT EXISTS (SELECT 1 FROM kept), (SELECT count(*)::int FROM paid_orders WHERE user_id = \(order.userId))
                    """, logger: ledger.logger
                ).decode((Bool, Int).self).firstElement() ?? (false, 0)
            guard seen.0 else { return }

            // The referral row first, then the accounts: the lock order of every completion.
            let pending = seen.1 == 0 ? try await referrals.lockPending(referee: order.userId, on: connection) : nil
            if let pending { try await referrals.lockParties(pending, on: connection) }
            if earned > 0 {
                _ = try await ledger.apply(
                    TransactionRequest(
                        userId: order.userId, type: .earn, change: earned, reason: "Order \(order.orderRef ?? order.orderId)",
                        referenceType: "order", referenceId: order.orderId),
                    idempotencyKey: nil, correlationId: correlationId, on: connection)
            }
            if let pending {
                _ = try await referrals.complete(
                    pending, referrerPoints: referrals.rewards.referrerPoints, refereePoints: referrals.rewards.refereePoints,
                    orderId: order.orderId, correlationId: correlationId, on: connection)
            }
        }
    }

    static func points(for amount: Decimal, perPound: Decimal) -> Int {
        var points = amount * perPound
        var floored = Decimal()
        NSDecimalRound(&floored, &points, 0, .down)
        return max(0, NSDecimalNumber(decimal: floored).intValue)
    }
}
