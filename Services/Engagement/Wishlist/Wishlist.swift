import Contracts
import HTTPKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A customer's wishlist (CONTRACT §5): one per customer, created empty on first access.
struct Wishlist: Codable, Sendable {
    /// The most items a wishlist holds; the database checks it too.
    static let limit = 100

    @LowercaseID var id: UUID
    let userId: String
    let items: [WishlistItem]
    /// All items matching the list's filter, not just this page.
    let itemCount: Int
}

struct WishlistItem: Codable, Sendable {
    @LowercaseID var id: UUID
    let productId: String
    let category: ProductCategory
    @Nullable var notes: String?
    let addedAt: Date
}

/// `POST /wishlist/items`.
struct NewWishlistItem: Sendable {
    let productId: String
    let category: ProductCategory
    let notes: String?

    static func read(_ body: JSONBody) throws(AppError) -> NewWishlistItem {
        var body = body
        let productId = body.required("productId", ProductId.rule)
        let category = body.required("category", .oneOf(ProductCategory.self))
        let notes = body.nullable("notes", .string(0...500)).applied(to: nil)
        try body.finish()
        return NewWishlistItem(productId: productId, category: category, notes: notes?.isEmpty == true ? nil : notes)
    }
}
