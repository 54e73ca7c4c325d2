import Contracts
import HTTPKit
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `/wishlist` (CONTRACT §5): every route acts on the caller's own wishlist.
struct WishlistController {
    let store: WishlistStore

    struct Check: Codable, Sendable {
        let inWishlist: Bool
        @Nullable var itemId: UUID?
    }

    func register(on routes: RouterGroup<AppContext>) {
        routes.group(context: CustomerContext.self)
            .get("/wishlist", use: wishlist)
            .post("/wishlist/items", use: add)
            .get("/wishlist/check/:productId", use: check)
            .delete("/wishlist/items/:id", use: remove)
            .delete("/wishlist/items", use: clear)
    }

    @Sendable func wishlist(_ request: Request, context: CustomerContext) async throws -> Reply<Wishlist> {
        var query = QueryParameters(request)
        let category = query.optional("category", .oneOf(ProductCategory.self))
        let page = query.pagination()
        try query.finish()
        let wishlist = try await store.wishlist(context.caller.userId, category: category, page: page)
        return Reply.page(wishlist, page.meta(total: wishlist.itemCount))
    }

    @Sendable func add(_ request: Request, context: CustomerContext) async throws -> Reply<WishlistItem> {
        let new = try NewWishlistItem.read(try await JSONBody(request, context: context))
        return Reply.created(try await store.add(context.caller.userId, new, correlationId: context.requestId))
    }

    @Sendable func check(_ request: Request, context: CustomerContext) async throws -> Reply<Check> {
        let itemId = try await store.item(context.caller.userId, productId: try ProductId.path(context))
        return Reply.ok(Check(inWishlist: itemId != nil, itemId: itemId))
    }

    @Sendable func remove(_ request: Request, context: CustomerContext) async throws -> Response {
        let id = try context.resourceId(notFound: "Wishlist item not found")
        guard try await store.remove(context.caller.userId, item: id, correlationId: context.requestId) else {
            throw AppError.notFound("Wishlist item not found")
        }
        return Response(status: .noContent)
    }

    @Sendable func clear(_ request: Request, context: CustomerContext) async throws -> Response {
        try await store.clear(context.caller.userId, correlationId: context.requestId)
        return Response(status: .noContent)
    }
}
