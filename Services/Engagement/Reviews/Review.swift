import Contracts
import HTTPKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A product review (CONTRACT §6). `reviewerName` and `verifiedPurchase` come from the
/// names and purchases engagement keeps from other contexts' events.
struct Review: Codable, Sendable {
    typealias Status = ReviewStatus

    @LowercaseID var id: UUID
    let userId: String
    let productId: String
    @Nullable var orderId: String?
    @Nullable var category: ProductCategory?
    let rating: Int
    let title: String
    let body: String
    let images: [String]
    let status: Status
    @Nullable var rejectionReason: String?
    let verifiedPurchase: Bool
    let reviewerName: String
    let createdAt: Date
    let updatedAt: Date
    @Nullable var moderatedAt: Date?

    /// Shown when the reviewer's name is unknown or was erased.
    static let anonymousName = "Customer"
}

/// A review as the public product page shows it (CONTRACT §6): what a shopper reads, and
/// nothing that identifies the customer — no `userId` (an auth-provider subject), no
/// `orderId`, no moderation fields.
struct PublicReview: Codable, Sendable {
    @LowercaseID var id: UUID
    let productId: String
    @Nullable var category: ProductCategory?
    let rating: Int
    let title: String
    let body: String
    let images: [String]
    let verifiedPurchase: Bool
    let reviewerName: String
    let createdAt: Date

    init(_ review: Review) {
        id = review.id
        productId = review.productId
        category = review.category
        rating = review.rating
        title = review.title
        body = review.body
        images = review.images
        verifiedPurchase = review.verifiedPurchase
        reviewerName = review.reviewerName
        createdAt = review.createdAt
    }
}

/// `POST /reviews`.
struct NewReview: Sendable {
    let productId: String
    let orderId: String?
    let category: ProductCategory?
    let rating: Int
    let title: String
    let body: String
    let images: [String]

    static func read(_ body: JSONBody) throws(AppError) -> NewReview {
        var body = body
        let review = NewReview(
            productId: body.required("productId", ProductId.rule),
            orderId: body.nullable("orderId", .string(1...128)).applied(to: nil),
            category: body.nullable("category", .oneOf(ProductCategory.self)).applied(to: nil),
            rating: body.required("rating", .int(1...5)),
            title: body.required("title", .string(1...200)),
            body: body.required("body", .string(10...5000)),
            images: body.optional("images", .array(of: .httpsURL(maxLength: 500), maxCount: 5)) ?? [])
        try body.finish()
        return review
    }
}

/// `PATCH /reviews/:id/status`: approve, or reject with an optional reason.
struct Moderation: Sendable {
    let status: Review.Status
    let rejectionReason: String?

    enum Verdict: String, CaseIterable, Sendable {
        case approved = "APPROVED"
        case rejected = "REJECTED"
    }

    static func read(_ body: JSONBody) throws(AppError) -> Moderation {
        var body = body
        let verdict = body.required("status", .oneOf(Verdict.self))
        let reason = body.nullable("rejectionReason", .string(1...500)).applied(to: nil)
        if verdict == .approved, reason != nil { body.fail("rejectionReason", "is only accepted with status REJECTED") }
        try body.finish()
        return Moderation(status: verdict == .approved ? .approved : .rejected, rejectionReason: reason)
    }
}

/// A product's approved reviews counted by rating: the public page's `summary`.
struct RatingSummary: Codable, Sendable, Equatable {
    let averageRating: Double
    let totalReviews: Int
    let distribution: [String: Int]

    /// `counts[0]` is the number of 1-star reviews … `counts[4]` of 5-star ones.
    init(counts: [Int]) {
        let total = counts.reduce(0, +)
        let stars = counts.enumerated().reduce(0) { $0 + ($1.offset + 1) * $1.element }
        totalReviews = total
        // One decimal, halves rounded up, in integers: (2 × 10 × stars + total) / (2 × total) tenths.
        averageRating = total == 0 ? 0 : Double((20 * stars + total) / (2 * total)) / 10
        distribution = Dictionary(uniqueKeysWithValues: (1...5).map { (String($0), counts.indices.contains($0 - 1) ? counts[$0 - 1] : 0) })
    }
}

/// The public product page: the summary and a page of approved reviews.
struct ProductReviews: Codable, Sendable {
    enum Sort: String, CaseIterable, Sendable {
        case newest, highest, lowest

        var orderBy: String {
            switch self {
            case .newest: "r.created_at DESC, r.id"
            case .highest: "r.rating DESC, r.created_at DESC, r.id"
            case .lowest: "r.rating, r.created_at DESC, r.id"
            }
        }
    }

    let productId: String
    let summary: RatingSummary
    let reviews: [PublicReview]
}
