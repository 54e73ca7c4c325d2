import HTTPKit

/// Engagement's part of a data export (CONTRACT §13): the whole wishlist as `GET /wishlist`
/// shows it (null if the customer never had one: an export creates nothing), and every
/// review the customer wrote, in any status.
enum DataExport {
    static func register(on handlers: inout EventHandlers, runtime: Runtime, wishlists: WishlistStore, reviews: ReviewStore) {
        handlers.answerExports(outbox: runtime.outbox, logger: runtime.logger) { userId, _ in
            JSONValue.object([
                "wishlist": try await wishlists.existing(userId).map(JSONValue.init(encoding:)) ?? .null,
                "reviews": try JSONValue(encoding: try await reviews.list(by: userId, page: .everything).0),
            ])
        }
    }
}
