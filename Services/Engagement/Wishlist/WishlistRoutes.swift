#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPKit

/// `/wishlist` (CONTRACT §5): every route acts on the caller's own wishlist.
struct WishlistRoutes {
    let store: WishlistStore

    struct Check: Encodable, Sendable {
        let inWishlist: Bool
        @Nullable var itemId: UUID?
    }

    func register(on routes: RouterGroup<AppContext>) {
        routes.get("/wishlist") { request, context in
            let userId = try context.customer().userId
            var query = QueryParameters(request)
            let category = query.optional("category", .oneOf(ProductCategory.self))
            let page = query.pagination()
            try query.finish()
            let wishlist = try await store.wishlist(userId, category: category, page: page)
            return Reply.page(wishlist, page.meta(total: wishlist.itemCount))
        }

        routes.post("/wishlist/items") { request, context in
            let userId = try context.customer().userId
            let new = try NewWishlistItem.read(try await JSONBody(request, context: context))
            return Reply.created(try await store.add(userId, new, correlationId: context.requestId))
        }

        routes.get("/wishlist/check/:productId") { _, context in
            let userId = try context.customer().userId
            let itemId = try await store.item(userId, productId: try ProductId.path(context))
            return Reply.ok(Check(inWishlist: itemId != nil, itemId: itemId))
        }

        routes.delete("/wishlist/items/:id") { _, context in
            let userId = try context.customer().userId
            let id = try context.resourceId(notFound: "Wishlist item not found")
            guard try await store.remove(userId, item: id, correlationId: context.requestId) else {
                throw AppError.notFound("Wishlist item not found")
            }
            return Response(status: .noContent)
        }

        routes.delete("/wishlist/items") { _, context in
            try await store.clear(try context.customer().userId, correlationId: context.requestId)
            return Response(status: .noContent)
        }
    }
}
