import HTTPKit

/// Engagement's part of a data export (CONTRACT §13): the whole wishlist as `GET /wishlist`
/// shows it (null if the customer never had one: an export creates nothing), and every
/// review the customer wrote, in any status.
enum DataExport {
    static func register(on handlers: inout EventHandlers, runtime: Runtime, wishlists: WishlistStore, reviews: ReviewStore) {
        handlers.on(Topics.dataExportRequested) { event, connection in
            let userId = event.payload.userId
            let part = JSONValue.object([
                "wishlist": try await wishlists.existing(userId).map(JSONValue.init(encoding:)) ?? .null,
                "reviews": try JSONValue(encoding: try await reviews.list(by: userId, page: .everything).0),
            ])
            try await runtime.outbox.answerExport(event, with: part, on: connection, logger: runtime.logger)
        }
    }
}
