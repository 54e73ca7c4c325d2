import Contracts
import EventBus
import Foundation
import Logging
import PostgresNIO

/// `portal_orders`: the customer's paid orders from `order.payment.succeeded`, once per order.
enum PortalOrders {
    static func register(on handlers: inout EventHandlers, logger: Logger) {
        handlers.on(Topics.orderPaymentSucceeded) { event, connection in
            let o = event.payload
            try await connection.query(
                """
                INSERT INTO portal_orders (order_id, user_id, order_ref, total_amount, currency, item_count, paid_at)
                VALUES (\(o.orderId), \(o.userId), \(o.orderRef), \(NSDecimalNumber(decimal: o.totalAmount).stringValue)::numeric,
                    \(o.currency), \(o.items.reduce(0) { $0 + $1.quantity }), \(o.paidAt))
                ON CONFLICT (order_id) DO NOTHING
                """, logger: logger)
        }
    }
}
