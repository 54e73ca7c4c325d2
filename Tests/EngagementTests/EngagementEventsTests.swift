import Contracts
@testable import engagement
import Foundation
import HummingbirdTesting
import Testing
import TestSupport

/// What engagement does with other contexts' events, through the inbox of a broker of the
/// test's own.
@Suite struct EngagementEventsTests {
    func order(_ user: String, products: [String], id: String = UUID().uuidString) -> OrderPaymentSucceeded {
        OrderPaymentSucceeded(
            orderId: id, userId: user, totalAmount: 100,
            items: products.map { .init(productId: $0, quantity: 1, unitPrice: 50) }, paidAt: Date())
    }

    func createReview(_ client: any TestClientProtocol, _ user: String, _ product: String) async throws -> [String: Any] {
        let created = try await call(client, .post, "/reviews", as: user, body: """
            {"productId":"\(product)","rating":5,"title":"Great","body":"Exactly as pictured."}
            """)
        #expect(created.status == .created)
        return created.data
    }

    @Test func verifiedPurchaseWhetherTheOrderComesBeforeOrAfterTheReview() async throws {
        try await withTestServiceAndBroker(EngagementService.self) { client, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let publisher = try TestPublisher(brokers: brokers)
            // Order first, delivered twice: one purchase row per product.
            let first = try await publisher.publish(Topics.orderPaymentSucceeded, order(user, products: ["chair", "chair", "desk"]),
                                                    userId: user, source: "orders", times: 2)
            #expect(try await eventually { try await app.hasProcessed(first.id) })
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM purchases WHERE user_id = \(user)") == 2)
            #expect(try await createReview(client, user, "chair")["verifiedPurchase"] as? Bool == true)
            // Bought by someone else: not verified for this customer.
            #expect(try await createReview(client, user, "lamp")["verifiedPurchase"] as? Bool == false)

            // Review first, approved, its public page cached; then the order arrives. (Product
            // pages are cached under the product id: one no other test uses.)
            let sofa = "sofa-\(UUID().uuidString.prefix(8))"
            let review = try await createReview(client, user, sofa)
            let id = try #require(review["id"] as? String)
            #expect(review["verifiedPurchase"] as? Bool == false)
            #expect(try await call(client, .patch, "/reviews/\(id)/status", as: "admin-1", role: .admin, body: #"{"status":"APPROVED"}"#).status == .ok)
            let cached = try await call(client, .get, "/reviews/product/\(sofa)", as: nil)
            #expect((cached.data["reviews"] as? [[String: Any]])?.first?["verifiedPurchase"] as? Bool == false)
            let second = try await publisher.publish(Topics.orderPaymentSucceeded, order(user, products: [sofa]), userId: user, source: "orders")
            #expect(try await eventually { try await app.hasProcessed(second.id) })
            #expect(try await call(client, .get, "/reviews/\(id)", as: user).data["verifiedPurchase"] as? Bool == true)
            // The cached page is dropped just after the handler's commit.
            #expect(try await eventually {
                let page = try await call(client, .get, "/reviews/product/\(sofa)", as: nil)
                return (page.data["reviews"] as? [[String: Any]])?.first?["verifiedPurchase"] as? Bool == true
            })
            // A second order of the same product changes nothing.
            let third = try await publisher.publish(Topics.orderPaymentSucceeded, order(user, products: [sofa]), userId: user, source: "orders")
            await publisher.shutdown()
            #expect(try await eventually { try await app.hasProcessed(third.id) })
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM purchases WHERE user_id = \(user)") == 3)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM processed_events") == 3)
        }
    }

    @Test func reviewerNameFollowsTheProfileAndErasureScrubsTheCustomer() async throws {
        try await withTestServiceAndBroker(EngagementService.self) { client, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let product = "oak-\(UUID().uuidString.prefix(8))"
            let id = try #require(try await createReview(client, user, product)["id"] as? String)
            #expect(try await call(client, .patch, "/reviews/\(id)/status", as: "admin-1", role: .admin, body: #"{"status":"APPROVED"}"#).status == .ok)
            @Sendable func pageName() async throws -> String? {
                let page = try await call(client, .get, "/reviews/product/\(product)", as: nil)
                return (page.data["reviews"] as? [[String: Any]])?.first?["reviewerName"] as? String
            }
            #expect(try await pageName() == "Customer")  // and now cached
            #expect(try await call(client, .post, "/wishlist/items", as: user, body: #"{"productId":"\#(product)","category":"KITCHEN"}"#).status == .created)

            let publisher = try TestPublisher(brokers: brokers)
            try await publisher.publish(Topics.profileUpdated, ProfileUpdated(
                userId: user, action: .updated, changedFields: ["firstName", "lastName"], firstName: "Oliver", lastName: "green",
                email: nil, phone: nil), userId: user, source: "profiles")
            #expect(try await eventually { try await pageName() == "Oliver G." })
            #expect(try await call(client, .get, "/reviews/\(id)", as: user).data["reviewerName"] as? String == "Oliver G.")
            // An older event arriving late changes nothing.
            let late = try await publisher.publish(Topics.profileUpdated, ProfileUpdated(
                userId: user, action: .updated, changedFields: ["firstName"], firstName: "Old", lastName: "Name", email: nil, phone: nil),
                userId: user, occurredAt: Date().addingTimeInterval(-3600), source: "profiles")
            #expect(try await eventually { try await app.hasProcessed(late.id) })
            #expect(try await pageName() == "Oliver G.")
            try await publisher.publish(Topics.orderPaymentSucceeded, order(user, products: ["desk"]), userId: user, source: "orders")

            // Erasure: the name goes from the review (which stays), the wishlist and purchases go.
            let erased = try await publisher.publish(Topics.profileAnonymized, ProfileAnonymized(userId: user, anonymizedAt: Date()),
                                                     userId: user, source: "profiles")
            await publisher.shutdown()
            #expect(try await eventually { try await app.hasProcessed(erased.id) })
            #expect(try await eventually { try await pageName() == "Customer" })
            let kept = try await call(client, .get, "/reviews/\(id)", as: user).data
            #expect(kept["body"] as? String == "Exactly as pictured." && kept["rating"] as? Int == 5 && kept["reviewerName"] as? String == "Customer")
            let database = app.runtime.database
            #expect(try await database.scalar("SELECT count(*)::int FROM wishlists WHERE user_id = \(user)") == 0)
            #expect(try await database.scalar("SELECT count(*)::int FROM wishlist_items WHERE user_id = \(user)") == 0)
            #expect(try await database.scalar("SELECT count(*)::int FROM purchases WHERE user_id = \(user)") == 0)
            #expect(try await database.scalar("""
                SELECT count(*)::int FROM customer_names WHERE user_id = \(user) AND first_name IS NULL AND last_name IS NULL
                """) == 1)
            // profiles learns that the wishlist is empty.
            #expect(try await database.scalar("""
                SELECT count(*)::int FROM outbox WHERE topic = 'customer.wishlist.updated' AND key = \(user)
                  AND value::jsonb #>> '{payload,action}' = 'cleared' AND value::jsonb #>> '{payload,itemCount}' = '0'
                  AND value::jsonb -> 'payload' -> 'productId' = 'null'::jsonb
                  AND value::jsonb ->> 'correlationId' = \(erased.id.lowercasedString)
                """) == 1)
        }
    }
}
