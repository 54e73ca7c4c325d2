import Foundation
import NIOHTTP1
import Testing
import TestSupport

/// Engagement with the other contexts, through the gateway and the stack's broker: a name
/// from profiles reaches the review, a wishlist add reaches the profiles dashboard, and the
/// profiles anonymisation job's fan-out scrubs engagement.
@Suite struct EngagementAcrossContextsTests {
    @Test func namesWishlistsAndErasureFlowBetweenContexts() async throws {
        let user = TestEnvironment.uniqueUser()
        let product = "oak-\(UUID().uuidString.prefix(8))"
        #expect(try await send(.POST, "/profile", as: user, json: #"{"firstName":"Grace","lastName":"hopper"}"#).status == 201)
        let review = try await send(.POST, "/reviews", as: user, json: """
            {"productId":"\(product)","rating":5,"title":"Beautiful","body":"The grain is beautiful."}
            """)
        #expect(review.status == 201)
        let reviewId = try #require(try data(review)["id"] as? String)
        #expect(try await send(.PATCH, "/reviews/\(reviewId)/status", as: "admin-1", role: .admin, json: #"{"status":"APPROVED"}"#).status == 200)

        // profiles → engagement: the reviewer's name, on the public page (no token).
        @Sendable func publicName() async throws -> String? {
            let page = try data(await Gateway.get("/v1/customers/reviews/product/\(product)"))
            return (page["reviews"] as? [[String: Any]])?.first?["reviewerName"] as? String
        }
        #expect(try await eventually(timeout: .seconds(10)) { try await publicName() == "Grace H." })

        // engagement → profiles: the dashboard's wishlist count and onboarding.
        #expect(try await send(.POST, "/wishlist/items", as: user, json: #"{"productId":"\#(product)","category":"KITCHEN"}"#).status == 201)
        #expect(try await eventually(timeout: .seconds(10)) {
            try data(await send(.GET, "/dashboard", as: user))["wishlistCount"] as? Int == 1
        })
        #expect(try data(await send(.GET, "/onboarding-status", as: user))["hasWishlistItem"] as? Bool == true)

        // The anonymisation job in profiles, for this customer made inactive: engagement
        // scrubs the name and drops the wishlist, and profiles hears that it is empty.
        let (status, stderr) = try await runAnonymisationJob(afterAging: user, projections: [("wishlist_summaries", "event_at")])
        #expect(status == 0, "\(stderr)")
        #expect(try await eventually(timeout: .seconds(10)) { try await publicName() == "Customer" })
        #expect(try data(await send(.GET, "/wishlist", as: user))["itemCount"] as? Int == 0)
        #expect(try await eventually(timeout: .seconds(10)) {
            try data(await send(.GET, "/dashboard", as: user))["wishlistCount"] as? Int == 0
        })
        let kept = try data(await send(.GET, "/reviews/\(reviewId)", as: user))
        #expect(kept["body"] as? String == "The grain is beautiful." && kept["status"] as? String == "APPROVED")
    }

    /// CONTRACT §6: the public page shows `PublicReview`, nothing that identifies the customer.
    @Test func thePublicProductPageShowsNoCustomerIdentifiers() async throws {
        let user = "auth0|\(UUID().uuidString.lowercased())"
        let product = "chair-\(UUID().uuidString.prefix(8))"
        let orderId = "order-\(UUID().uuidString.lowercased())"
        let review = try data(await send(.POST, "/reviews", as: user, json: """
            {"productId":"\(product)","orderId":"\(orderId)","category":"KITCHEN","rating":4,"title":"Comfy","body":"Comfortable and sturdy."}
            """))
        let reviewId = try #require(review["id"] as? String)
        #expect(try await send(.PATCH, "/reviews/\(reviewId)/status", as: "admin-1", role: .admin, json: #"{"status":"APPROVED"}"#).status == 200)
        let reply = try await Gateway.get("/v1/customers/reviews/product/\(product)")
        #expect(reply.status == 200)
        let page = try data(reply)
        #expect(Set(page.keys) == ["productId", "summary", "reviews"])
        let shown = try #require((page["reviews"] as? [[String: Any]])?.first)
        #expect(Set(shown.keys) == [
            "id", "productId", "category", "rating", "title", "body", "images", "verifiedPurchase", "reviewerName", "createdAt",
        ])
        #expect(shown["id"] as? String == reviewId && shown["reviewerName"] as? String == "Customer")
        #expect(!reply.body.contains(user) && !reply.body.contains("auth0") && !reply.body.contains(orderId))
        // The owner still sees the whole review.
        let own = try data(await send(.GET, "/reviews/\(reviewId)", as: user))
        #expect(own["userId"] as? String == user && own["orderId"] as? String == orderId && own["status"] as? String == "APPROVED")
    }
}
