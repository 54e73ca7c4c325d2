import Contracts
import Foundation
import HTTPTypes
import TestSupport
import Testing

@testable import engagement
@testable import profiles

/// Engagement with the other contexts, through the gateway and the stack's broker: a name
/// from profiles reaches the review, a wishlist add reaches the profiles dashboard, and the
/// profiles anonymisation job's fan-out scrubs engagement.
@Suite(.needsStack) struct EngagementAcrossContextsTests {
    /// Grace Hopper in profiles, with an approved review of `product`.
    static func approvedReview(by user: String, of product: String) async throws -> UUID {
        #expect(try await gateway.post("/profile", as: user, body: ["firstName": "Grace", "lastName": "hopper"]).status == .created)
        let review = try await gateway.post(
            "/reviews", as: user, body: ["productId": "\(product)", "rating": 5, "title": "Beautiful", "body": "The grain is beautiful."])
        #expect(review.status == .created)
        let reviewId = try review.data(Review.self).id
        let approved = try await gateway.patch(
            "/reviews/\(reviewId.lowercasedString)/status", as: "admin-1", role: .admin, body: ["status": "APPROVED"])
        #expect(approved.status == .ok)
        return reviewId
    }

    /// The reviewer's name on the public page of `product` (no token).
    static func publicName(on product: String) async throws -> String? {
        try await gateway.get("/reviews/product/\(product)", as: nil).data(ProductReviews.self).reviews.first?.reviewerName
    }

    static func addToWishlist(_ product: String, as user: String) async throws {
        let added = try await gateway.post("/wishlist/items", as: user, body: ["productId": "\(product)", "category": "KITCHEN"])
        #expect(added.status == .created)
    }

    /// The dashboard's wishlist count.
    static func wishlistCount(of user: String) async throws -> Int {
        try await gateway.get("/dashboard", as: user).data(Dashboard.self).wishlistCount
    }

    /// profiles → engagement: the reviewer's name, on the public page.
    @Test func theReviewersNameFromProfilesReachesThePublicPage() async throws {
        let user = TestEnvironment.uniqueUser()
        let product = "oak-\(UUID().uuidString.prefix(8))"
        _ = try await Self.approvedReview(by: user, of: product)
        #expect(try await eventually(timeout: .seconds(10)) { try await Self.publicName(on: product) == "Grace H." })
    }

    /// engagement → profiles: the dashboard's wishlist count and onboarding.
    @Test func aWishlistAddReachesTheDashboardAndOnboarding() async throws {
        let user = TestEnvironment.uniqueUser()
        let product = "oak-\(UUID().uuidString.prefix(8))"
        try await Self.addToWishlist(product, as: user)
        #expect(try await eventually(timeout: .seconds(10)) { try await Self.wishlistCount(of: user) == 1 })
        #expect(try await gateway.get("/onboarding-status", as: user).data(OnboardingStatus.self).hasWishlistItem == true)
    }

    /// The anonymisation job in profiles, for this customer made inactive: engagement
    /// scrubs the name and drops the wishlist, and profiles hears that it is empty; the
    /// review itself stays.
    @Test func theAnonymisationJobScrubsTheNameAndTheWishlistButKeepsTheReview() async throws {
        let user = TestEnvironment.uniqueUser()
        let product = "oak-\(UUID().uuidString.prefix(8))"
        let reviewId = try await Self.approvedReview(by: user, of: product)
        try #require(try await eventually(timeout: .seconds(10)) { try await Self.publicName(on: product) == "Grace H." })
        try await Self.addToWishlist(product, as: user)
        try #require(try await eventually(timeout: .seconds(10)) { try await Self.wishlistCount(of: user) == 1 })

        let (status, stderr) = try await runAnonymisationJob(afterAging: user, projections: [("wishlist_summaries", "event_at")])
        #expect(status == 0, "\(stderr)")
        #expect(try await eventually(timeout: .seconds(10)) { try await Self.publicName(on: product) == "Customer" })
        #expect(try await gateway.get("/wishlist", as: user).data(Wishlist.self).itemCount == 0)
        #expect(try await eventually(timeout: .seconds(10)) { try await Self.wishlistCount(of: user) == 0 })
        let kept = try await gateway.get("/reviews/\(reviewId.lowercasedString)", as: user).data(Review.self)
        #expect(kept.body == "The grain is beautiful." && kept.status == .approved)
    }

    /// CONTRACT §6: the public page shows `PublicReview`, nothing that identifies the customer.
    @Test func thePublicProductPageShowsNoCustomerIdentifiers() async throws {
        let user = "auth0|\(UUID().uuidString.lowercased())"
        let product = "chair-\(UUID().uuidString.prefix(8))"
        let orderId = "order-\(UUID().uuidString.lowercased())"
        let review = try await gateway.post(
            "/reviews", as: user,
            body: [
                "productId": "\(product)", "orderId": "\(orderId)", "category": "KITCHEN", "rating": 4, "title": "Comfy",
                "body": "Comfortable and sturdy.",
            ]
        ).data(Review.self)
        let reviewId = review.id
        let approved = try await gateway.patch(
            "/reviews/\(reviewId.lowercasedString)/status", as: "admin-1", role: .admin, body: ["status": "APPROVED"])
        #expect(approved.status == .ok)
        let reply = try await gateway.get("/reviews/product/\(product)", as: nil)
        #expect(reply.status == .ok)
        // The exact keys, as JSON objects.
        #expect(try Set(reply.data([String: JSONValue].self).keys) == ["productId", "summary", "reviews"])
        let shownKeys = try #require(try reply.data(PublicPageObjects.self).reviews.first?.keys)
        #expect(
            Set(shownKeys) == [
                "id", "productId", "category", "rating", "title", "body", "images", "verifiedPurchase", "reviewerName", "createdAt",
            ])
        let shown = try #require(try reply.data(ProductReviews.self).reviews.first)
        #expect(shown.id == reviewId && shown.reviewerName == "Customer")
        #expect(!reply.text.contains(user) && !reply.text.contains("auth0") && !reply.text.contains(orderId))
        // The owner still sees the whole review.
        let own = try await gateway.get("/reviews/\(reviewId.lowercasedString)", as: user).data(Review.self)
        #expect(own.userId == user && own.orderId == orderId && own.status == .approved)
    }
}

/// `GET /onboarding-status` (production's `Onboarding` is Encodable only).
private struct OnboardingStatus: Decodable {
    let hasProfile: Bool
    let hasAddress: Bool
    let hasNotificationPreferences: Bool
    let hasWishlistItem: Bool
}

/// The public product page with its reviews as JSON objects, for their exact key sets.
private struct PublicPageObjects: Decodable {
    let reviews: [[String: JSONValue]]
}
