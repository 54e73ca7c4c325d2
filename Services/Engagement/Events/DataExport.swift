import Contracts
import Domain
import EventBus
import ServiceKit

/// Engagement's part of a data export (CONTRACT §13): the whole wishlist as `GET /wishlist`
/// shows it (null if the customer never had one: an export creates nothing), and every
/// review the customer wrote, in any status. Read on the request's connection, which sees an
/// anonymisation applied ahead of its event for this export (`answerExports`).
enum DataExport {
    static func register(on handlers: inout EventHandlers, runtime: Runtime, wishlists: WishlistStore, reviews: ReviewStore) {
        handlers.answerExports(outbox: runtime.outbox, logger: runtime.logger) { userId, connection in
            JSONValue.object([
                "wishlist": try await wishlists.existing(userId, on: connection).map(JSONValue.init(encoding:)) ?? .null,
                "reviews": try JSONValue(encoding: try await reviews.all(by: userId, on: connection)),
            ])
        }
    }
}
