import HTTPKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What engagement knows of a product: its id (owned by the catalogue, an opaque string)
/// and the two ranges it belongs to.
enum ProductCategory: String, Codable, CaseIterable, Sendable {
    case kitchen = "KITCHEN"
    case bedroom = "BEDROOM"
}

enum ProductId {
    /// `productId` in a body: 1–100 characters.
    static let rule = FieldRule<String>.string(1...100)

    /// `:productId` in a path: a 404 when it cannot be a product id (the body rule's length).
    static func path(_ context: some ServiceRequestContext) throws(AppError) -> String {
        try context.opaqueId("productId", maxLength: 100, notFound: "Product not found")
    }
}
