import Contracts
import EventBus
import PostgresNIO

/// `order.payment.succeeded`: the customer has bought these products. Kept as purchases
/// (one row per customer and product, so a redelivered or repeated order changes nothing),
/// and the customer's reviews of them become verified — whether the review came first or
/// the order did.
enum VerifiedPurchases {
    static func register(on handlers: inout EventHandlers, reviews: ReviewStore) {
        let logger = reviews.logger
        handlers.on(Topics.orderPaymentSucceeded) { event, connection in
            let order = event.payload
            // Distinct in SQL, byte for byte: a Swift `Set` would merge ids that are only
            // canonically equivalent, and one of the two products would never be marked.
            let products = order.items.map(\.productId)
            guard !products.isEmpty else { return }
            // Review creation takes the same lock: one of the two sees the other.
            try await connection.lockUntilCommit(ReviewStore.purchasesLock(order.userId), logger: logger)
            try await connection.query(
                """
                INSERT INTO purchases (user_id, product_id, order_id, paid_at)
                SELECT DISTINCT \(order.userId), product_id, \(order.orderId), \(order.paidAt) FROM unnest(\(products)::text[]) AS product_id
                ON CONFLICT (user_id, product_id) DO NOTHING
                """, logger: logger)
            let verified = try await connection.query(
                """
                UPDATE reviews SET verified_purchase = true
                WHERE user_id = \(order.userId) AND product_id = ANY (\(products)::text[]) AND NOT verified_purchase
                RETURNING product_id
                """, logger: logger
            ).values(String.self)
            await reviews.dropCachedPages(of: verified)
        }
    }
}
