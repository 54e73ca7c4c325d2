import Foundation
import HTTPKit

/// What engagement knows of a product: its id (owned by the catalogue, an opaque string)
/// and the two ranges it belongs to.
enum ProductCategory: String, Codable, CaseIterable, Sendable { case KITCHEN, BEDROOM }

enum ProductId {
    /// `productId` in a body: 1–100 characters.
    static let rule = FieldRule<String>.string(1...100)

    /// `:productId` in a path, percent-decoded; a 404 when it cannot be a product id (the
    /// body rule's length in code points, no NUL).
    static func path(_ context: AppContext) throws(AppError) -> String {
        guard let raw = context.parameters.get("productId"),
              let id = raw.utf8.contains(UInt8(ascii: "%")) ? raw.removingPercentEncoding : raw,
              (1...100).contains(id.unicodeScalars.count), !id.unicodeScalars.contains("\u{0}")
        else { throw AppError.notFound("Product not found") }
        return id
    }
}
