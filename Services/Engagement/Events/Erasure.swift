import Contracts
import EventBus
import PostgresNIO

/// `customer.profile.anonymized` (GDPR): the customer's wishlist and purchases go; their
/// reviews stay, as shops keep them, but show "Customer" once `ReviewerNames` has scrubbed
/// the name.
enum Erasure {
    static func register(on handlers: inout EventHandlers, wishlists: WishlistStore) {
        let logger = wishlists.logger
        handlers.on(Topics.profileAnonymized) { event, connection in
            let userId = event.payload.userId
            // Publishes `cleared`, so profiles' dashboard count follows.
            try await wishlists.clear(userId, correlationId: event.id.lowercasedString, on: connection)
            try await connection.query("DELETE FROM wishlists WHERE user_id = \(userId)", logger: logger)
            try await connection.query("DELETE FROM purchases WHERE user_id = \(userId)", logger: logger)
        }
    }
}
