import Foundation
import HTTPKit

/// `order.payment.succeeded`: the customer earns `floor(totalAmount × LOYALTY_POINTS_PER_POUND)`
/// once per order. The check and the unique index on (order, EARN) make a redelivered event,
/// or a second event for the same order, earn nothing.
enum OrderEarnings {
    static func register(on handlers: inout EventHandlers, store: LedgerStore, pointsPerPound: Decimal) {
        handlers.on(Topics.orderPaymentSucceeded) { event, connection in
            let order = event.payload
            var points = order.totalAmount * pointsPerPound
            var floored = Decimal()
            NSDecimalRound(&floored, &points, 0, .down)
            let earned = NSDecimalNumber(decimal: floored).intValue
            guard earned > 0 else { return }
            let already = try await connection.query("""
                SELECT 1 FROM transactions WHERE type = 'EARN' AND reference_type = 'order' AND reference_id = \(order.orderId)
                """, logger: store.logger)
            for try await _ in already { return }
            _ = try await store.apply(
                TransactionRequest(
                    userId: order.userId, type: .EARN, change: earned, reason: "Order \(order.orderRef ?? order.orderId)",
                    referenceType: "order", referenceId: order.orderId),
                idempotencyKey: nil, correlationId: event.id.uuidString, on: connection)
        }
    }
}
