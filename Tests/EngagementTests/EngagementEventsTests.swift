import Contracts
import Foundation
import TestSupport
import Testing

@testable import engagement

/// What engagement does with other contexts' events, through the inbox of a broker of the
/// test's own.
@Suite(.needsTestServers) struct EngagementEventsTests {
    func order(_ user: String, products: [String], id: String = UUID().uuidString) -> OrderPaymentSucceeded {
        OrderPaymentSucceeded(
            orderId: id, userId: user, totalAmount: 100,
            items: products.map { .init(productId: $0, quantity: 1, unitPrice: 50) }, paidAt: Date())
    }

    func createReview(_ api: API, _ user: String, _ product: String) async throws -> Review {
        let created = try await api.post(
            "/reviews", as: user,
            body: [
                "productId": .string(product), "rating": 5, "title": "Great", "body": "Exactly as pictured.",
            ])
        #expect(created.status == .created)
        return try created.data(Review.self)
    }

    /// `user`'s review of `product`, approved: on the product's public page.
    func approvedReview(_ api: API, _ user: String, _ product: String) async throws -> Review {
        let review = try await createReview(api, user, product)
        #expect(try await api.patch("/reviews/\(review.id)/status", as: "admin-1", role: .admin, body: ["status": "APPROVED"]).status == .ok)
        return review
    }

    /// The first review on `product`'s public page.
    func firstOnPage(_ api: API, _ product: String) async throws -> PublicReview? {
        try await api.get("/reviews/product/\(product)", as: nil).data(ProductReviews.self).reviews.first
    }

    /// A product id no other test uses: product pages are cached under it.
    func uniqueProduct(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8))" }

    // MARK: Verified purchases

    @Test func aReviewAfterTheOrderIsAVerifiedPurchase() async throws {
        try await withTestServiceAndBroker(EngagementService.self) { api, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let publisher = try TestPublisher(brokers: brokers)
            // Order first, delivered twice: one purchase row per product.
            let first = try await publisher.publish(
                Topics.orderPaymentSucceeded, order(user, products: ["chair", "chair", "desk"]),
                userId: user, source: "orders", times: 2)
            await publisher.shutdown()
            #expect(try await eventually { try await app.hasProcessed(first.id) })
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM purchases WHERE user_id = \(user)") == 2)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM processed_events") == 1)
            #expect(try await createReview(api, user, "chair").verifiedPurchase == true)
            // Bought by someone else: not verified for this customer.
            #expect(try await createReview(api, user, "lamp").verifiedPurchase == false)
        }
    }

    /// Review first, approved, its public page cached; then the order arrives.
    @Test func aReviewBeforeTheOrderIsVerifiedWhenItArrivesAndLeavesTheCachedPage() async throws {
        try await withTestServiceAndBroker(EngagementService.self) { api, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let sofa = uniqueProduct("sofa")
            let review = try await approvedReview(api, user, sofa)
            #expect(review.verifiedPurchase == false)
            #expect(try await firstOnPage(api, sofa)?.verifiedPurchase == false)  // and now cached
            let publisher = try TestPublisher(brokers: brokers)
            let second = try await publisher.publish(Topics.orderPaymentSucceeded, order(user, products: [sofa]), userId: user, source: "orders")
            #expect(try await eventually { try await app.hasProcessed(second.id) })
            #expect(try await api.get("/reviews/\(review.id)", as: user).data(Review.self).verifiedPurchase == true)
            // The cached page is dropped just after the handler's commit.
            #expect(try await eventually { try await firstOnPage(api, sofa)?.verifiedPurchase == true })
            // A second order of the same product changes nothing.
            let third = try await publisher.publish(Topics.orderPaymentSucceeded, order(user, products: [sofa]), userId: user, source: "orders")
            await publisher.shutdown()
            #expect(try await eventually { try await app.hasProcessed(third.id) })
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM purchases WHERE user_id = \(user)") == 1)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM processed_events") == 2)
        }
    }

    // MARK: Names and erasure

    @Test func theReviewerNameFollowsTheProfileAndNotAnOlderEvent() async throws {
        try await withTestServiceAndBroker(EngagementService.self) { api, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let product = uniqueProduct("oak")
            let review = try await approvedReview(api, user, product)
            #expect(try await firstOnPage(api, product)?.reviewerName == "Customer")  // and now cached

            let publisher = try TestPublisher(brokers: brokers)
            try await publisher.publishName("Oliver", "green", of: user)
            #expect(try await eventually { try await firstOnPage(api, product)?.reviewerName == "Oliver G." })
            #expect(try await api.get("/reviews/\(review.id)", as: user).data(Review.self).reviewerName == "Oliver G.")
            // An older event arriving late changes nothing.
            let late = try await publisher.publishName(
                "Old", "Name", of: user, changedFields: ["firstName"], occurredAt: Date().addingTimeInterval(-3600))
            await publisher.shutdown()
            #expect(try await eventually { try await app.hasProcessed(late.id) })
            #expect(try await firstOnPage(api, product)?.reviewerName == "Oliver G.")
        }
    }

    /// Erasure: the name goes from the review (which stays), the wishlist and purchases go.
    @Test func erasureScrubsTheNameAndDropsTheWishlistAndPurchases() async throws {
        try await withTestServiceAndBroker(EngagementService.self) { api, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let product = uniqueProduct("oak")
            let review = try await approvedReview(api, user, product)
            #expect(try await api.post("/wishlist/items", as: user, body: ["productId": .string(product), "category": "KITCHEN"]).status == .created)
            let publisher = try TestPublisher(brokers: brokers)
            try await publisher.publishName("Oliver", "green", of: user)
            #expect(try await eventually { try await firstOnPage(api, product)?.reviewerName == "Oliver G." })  // and cached
            try await publisher.publish(Topics.orderPaymentSucceeded, order(user, products: ["desk"]), userId: user, source: "orders")

            let erased = try await publisher.publish(
                Topics.profileAnonymized, ProfileAnonymized(userId: user, anonymizedAt: Date()),
                userId: user, source: "profiles")
            await publisher.shutdown()
            #expect(try await eventually { try await app.hasProcessed(erased.id) })
            #expect(try await eventually { try await firstOnPage(api, product)?.reviewerName == "Customer" })
            let kept = try await api.get("/reviews/\(review.id)", as: user).data(Review.self)
            #expect(kept.body == "Exactly as pictured." && kept.rating == 5 && kept.reviewerName == "Customer")
            let database = app.runtime.database
            #expect(try await database.scalar("SELECT count(*)::int FROM wishlists WHERE user_id = \(user)") == 0)
            #expect(try await database.scalar("SELECT count(*)::int FROM wishlist_items WHERE user_id = \(user)") == 0)
            #expect(try await database.scalar("SELECT count(*)::int FROM purchases WHERE user_id = \(user)") == 0)
            #expect(
                try await database.scalar(
                    """
                    SELECT count(*)::int FROM customer_names WHERE user_id = \(user) AND first_name IS NULL AND last_name IS NULL
                    """) == 1)
            // profiles learns that the wishlist is empty.
            #expect(
                try await database.scalar(
                    """
                    SELECT count(*)::int FROM outbox WHERE topic = 'customer.wishlist.updated' AND key = \(user)
                      AND value::jsonb #>> '{payload,action}' = 'cleared' AND value::jsonb #>> '{payload,itemCount}' = '0'
                      AND value::jsonb -> 'payload' -> 'productId' = 'null'::jsonb
                      AND value::jsonb ->> 'correlationId' = \(erased.id.lowercasedString)
                    """) == 1)
        }
    }
}
