import Foundation
import HTTPKit

/// `order.payment.succeeded`: the customer earns `floor(totalAmount × LOYALTY_POINTS_PER_POUND)`
/// once per order, and a pending referral of theirs completes. The check and the unique
/// index on (order, EARN) make a redelivered event, or a second event for the same order,
/// earn nothing.
enum OrderEarnings {
    static func register(on handlers: inout EventHandlers, referrals: ReferralStore, pointsPerPound: Decimal) {
        let ledger = referrals.ledger
        handlers.on(Topics.orderPaymentSucceeded) { event, connection in
            let order = event.payload
            let correlationId = event.id.lowercasedString
            let earned = points(for: order.totalAmount, perPound: pointsPerPound)
            let already = try await connection.query("""
                SELECT EXISTS (SELECT 1 FROM transactions WHERE type = 'EARN' AND reference_type = 'order' AND reference_id = \(order.orderId))
                """, logger: ledger.logger).value(Bool.self) ?? false
            guard !already else { return }

            // The referral row first, then the accounts: the lock order of every completion.
            let pending = try await referrals.lockPending(referee: order.userId, on: connection)
            if let pending { try await referrals.lockParties(pending, on: connection) }
            if earned > 0 {
                _ = try await ledger.apply(
                    TransactionRequest(
                        userId: order.userId, type: .EARN, change: earned, reason: "Order \(order.orderRef ?? order.orderId)",
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
        var points = amount * perPound, floored = Decimal()
        NSDecimalRound(&floored, &points, 0, .down)
        return max(0, NSDecimalNumber(decimal: floored).intValue)
    }
}
