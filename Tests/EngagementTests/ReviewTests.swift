import Auth
@testable import engagement
import Foundation
import HummingbirdTesting
import PostgresNIO
import Testing
import TestSupport

@Suite struct ReviewTests {
    func review(_ client: any TestClientProtocol, by user: String, product: String, rating: Int, title: String = "Lovely") async throws -> String {
        let created = try await call(client, .post, "/reviews", as: user, body: """
            {"productId":"\(product)","rating":\(rating),"title":"\(title)","body":"Solid oak, well made."}
            """)
        #expect(created.status == .created)
        return try #require(created.data["id"] as? String)
    }

    func moderate(_ client: any TestClientProtocol, _ id: String, _ body: String, as role: Role = .admin) async throws -> Answer {
        try await call(client, .patch, "/reviews/\(id)/status", as: "admin-1", role: role, body: body)
    }

    @Test func createdPendingReadByOwnerAndAdminOnly() async throws {
        try await withTestService(EngagementService.self) { client, app in
            let user = TestEnvironment.uniqueUser(), other = TestEnvironment.uniqueUser()
            #expect(try await call(client, .post, "/reviews", as: nil, body: "{}").status == .unauthorized)
            let created = try await call(client, .post, "/reviews", as: user, body: """
                {"productId":"oak-table","rating":4,"title":" Sturdy ","body":"Took an hour to assemble.","orderId":"order-7",
                 "category":"KITCHEN","images":["https://img.example.com/1.jpg","HTTPS://img.example.com/2.jpg"]}
                """)
            #expect(created.status == .created)
            let review = created.data
            #expect(review["userId"] as? String == user && review["productId"] as? String == "oak-table")
            #expect(review["rating"] as? Int == 4 && review["title"] as? String == "Sturdy" && review["body"] as? String == "Took an hour to assemble.")
            #expect(review["orderId"] as? String == "order-7" && review["category"] as? String == "KITCHEN")
            #expect(review["images"] as? [String] == ["https://img.example.com/1.jpg", "HTTPS://img.example.com/2.jpg"])
            #expect(review["status"] as? String == "PENDING" && review["rejectionReason"] is NSNull && review["moderatedAt"] is NSNull)
            #expect(review["verifiedPurchase"] as? Bool == false && review["reviewerName"] as? String == "Customer")
            #expect(review["createdAt"] is String && review["updatedAt"] is String)
            let id = try #require(review["id"] as? String)

            let again = try await call(client, .post, "/reviews", as: user, body: """
                {"productId":"oak-table","rating":5,"title":"Again","body":"Changed my mind."}
                """)
            #expect(again.status == .conflict && again.errorCode == "CONFLICT")
            // Optional fields may be left out or null.
            let plain = try await call(client, .post, "/reviews", as: user, body: """
                {"productId":"pine-bed","rating":1,"title":"Creaks","body":"Creaks every night.","orderId":null,"category":null}
                """)
            #expect(plain.status == .created && plain.data["orderId"] is NSNull && plain.data["category"] is NSNull)
            #expect(plain.data["images"] as? [String] == [])

            let mine = try await call(client, .get, "/reviews?limit=1", as: user)
            #expect(mine.status == .ok && mine.meta["total"] as? Int == 2 && mine.list.map { $0["productId"] as? String } == ["pine-bed"])
            #expect(try await call(client, .get, "/reviews", as: other).meta["total"] as? Int == 0)

            #expect(try await call(client, .get, "/reviews/\(id)", as: user).data["id"] as? String == id)
            #expect(try await call(client, .get, "/reviews/\(id.lowercased())", as: "admin-1", role: .admin).status == .ok)
            #expect(try await call(client, .get, "/reviews/\(id)", as: other).status == .notFound)
            #expect(try await call(client, .get, "/reviews/\(id)", as: "agent-1", role: .agent).status == .notFound)
            #expect(try await call(client, .get, "/reviews/nope", as: user).status == .notFound)
            #expect(try await call(client, .get, "/reviews/\(UUID())", as: user).status == .notFound)
            #expect(try await call(client, .get, "/reviews/\(id)", as: nil).status == .unauthorized)

            let event = try await app.runtime.database.query("""
                SELECT value::jsonb #>> '{payload,reviewId}', value::jsonb #>> '{payload,status}', (value::jsonb #>> '{payload,rating}')::int,
                       value::jsonb #>> '{payload,productId}', value::jsonb #>> '{payload,createdAt}'
                FROM outbox WHERE topic = 'customer.review.created' AND key = \(user) ORDER BY seq LIMIT 1
                """).decode((String, String, Int, String, String).self).firstElement()
            #expect(event?.0.lowercased() == id.lowercased() && event?.1 == "PENDING" && event?.2 == 4 && event?.3 == "oak-table")
            #expect(event?.4 == review["createdAt"] as? String)
        }
    }

    @Test func invalidReviewsAre422WithEveryField() async throws {
        try await withTestService(EngagementService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            let missing = try await call(client, .post, "/reviews", as: user, body: "{}")
            #expect(missing.status == .unprocessableContent && Set(missing.errorDetails.keys) == ["productId", "rating", "title", "body"])
            let images = (0..<6).map { #""https://img.example.com/\#($0).jpg""# }.joined(separator: ",")
            let wrong = try await call(client, .post, "/reviews", as: user, body: """
                {"productId":"","rating":6,"title":"\(String(repeating: "t", count: 201))","body":"too short","images":[\(images)],
                 "orderId":"","category":"GARDEN","stars":5}
                """)
            #expect(wrong.errorDetails == [
                "productId": "productId must not be empty",
                "rating": "rating must be between 1 and 5",
                "title": "title must be at most 200 characters",
                "body": "body must be at least 10 characters",
                "images": "images must have at most 5 items",
                "orderId": "orderId must not be empty",
                "category": "category must be one of KITCHEN, BEDROOM",
                "stars": "stars is not an accepted field",
            ])
            let typed = try await call(client, .post, "/reviews", as: user, body: """
                {"productId":"p","rating":4.5,"title":"t","body":"\(String(repeating: "b", count: 5001))","images":["http://plain.example.com/a.jpg"]}
                """)
            #expect(typed.errorDetails == [
                "rating": "rating must be an integer",
                "body": "body must be at most 5000 characters",
                "images": "images item 0 must be an https URL",
            ])
            #expect(try await call(client, .post, "/reviews", as: user, body: #"{"productId":"p","rating":3,"title":"t","body":"long enough","images":"x"}"#)
                .errorDetails == ["images": "images must be an array"])
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM reviews") == 0)
        }
    }

    /// Ratings 5, 4, 4 approved and a 1 rejected: 4.3 from three reviews; re-moderating the
    /// 5 to REJECTED takes it out of the summary and the page at once.
    @Test func moderationKeepsTheSummaryAndThePublicPageExact() async throws {
        try await withTestService(EngagementService.self) { client, app in
            let product = "oak-\(UUID().uuidString.prefix(8))"
            var ids: [String] = []
            for rating in [5, 4, 4, 1] {
                ids.append(try await review(client, by: TestEnvironment.uniqueUser(), product: product, rating: rating, title: "Rated \(rating)"))
            }
            func page(_ query: String = "") async throws -> Answer {
                try await call(client, .get, "/reviews/product/\(product)\(query)", as: nil)
            }
            // Nothing approved yet; this page is now cached.
            let before = try await page()
            #expect(before.status == .ok && before.data["productId"] as? String == product)
            let emptySummary = before.data["summary"] as? [String: Any]
            #expect(emptySummary?["averageRating"] as? Double == 0 && emptySummary?["totalReviews"] as? Int == 0)
            #expect(emptySummary?["distribution"] as? [String: Int] == ["1": 0, "2": 0, "3": 0, "4": 0, "5": 0])
            #expect((before.data["reviews"] as? [Any])?.isEmpty == true && before.meta["total"] as? Int == 0)

            // The queue, oldest first; customers may not moderate.
            let queue = try await call(client, .get, "/reviews/moderation", as: "admin-1", role: .admin)
            #expect(queue.status == .ok && queue.list.map { $0["id"] as? String } == ids && queue.meta["total"] as? Int == 4)
            #expect(try await call(client, .get, "/reviews/moderation", as: "shopper").status == .forbidden)
            #expect(try await call(client, .get, "/reviews/moderation", as: nil).status == .unauthorized)
            #expect(try await moderate(client, ids[0], #"{"status":"APPROVED"}"#, as: .customer).status == .forbidden)
            #expect(try await moderate(client, ids[0], #"{"status":"APPROVED"}"#, as: .agent).status == .forbidden)
            #expect(try await moderate(client, UUID().uuidString, #"{"status":"APPROVED"}"#).status == .notFound)
            let invalid = try await moderate(client, ids[0], #"{"status":"PENDING"}"#)
            #expect(invalid.errorDetails == ["status": "status must be one of APPROVED, REJECTED"])
            let reasonless = try await moderate(client, ids[0], #"{"status":"APPROVED","rejectionReason":"fine"}"#)
            #expect(reasonless.errorDetails == ["rejectionReason": "rejectionReason is only accepted with status REJECTED"])

            // Approving shows the review on the cached page at once.
            let approved = try await moderate(client, ids[0], #"{"status":"APPROVED"}"#)
            #expect(approved.status == .ok && approved.data["status"] as? String == "APPROVED" && approved.data["moderatedAt"] is String)
            #expect((try await page().data["reviews"] as? [[String: Any]])?.map { $0["id"] as? String } == [ids[0]])
            _ = try await moderate(client, ids[1], #"{"status":"APPROVED"}"#)
            _ = try await moderate(client, ids[2], #"{"status":"APPROVED"}"#)
            let rejected = try await moderate(client, ids[3], #"{"status":"REJECTED","rejectionReason":"Not about the product"}"#)
            #expect(rejected.data["status"] as? String == "REJECTED" && rejected.data["rejectionReason"] as? String == "Not about the product")

            let summary = try await page().data["summary"] as? [String: Any]
            #expect(summary?["averageRating"] as? Double == 4.3 && summary?["totalReviews"] as? Int == 3)
            #expect(summary?["distribution"] as? [String: Int] == ["1": 0, "2": 0, "3": 0, "4": 2, "5": 1])
            func order(_ sort: String) async throws -> [String?] {
                try await (page("?sort=\(sort)").data["reviews"] as? [[String: Any]] ?? []).map { $0["id"] as? String }
            }
            #expect(try await order("newest") == [ids[2], ids[1], ids[0]])
            #expect(try await order("highest") == [ids[0], ids[2], ids[1]])
            #expect(try await order("lowest") == [ids[2], ids[1], ids[0]])
            let second = try await page("?sort=highest&limit=2&page=2")
            #expect((second.data["reviews"] as? [[String: Any]])?.map { $0["id"] as? String } == [ids[1]])
            #expect(second.meta["total"] as? Int == 3 && second.meta["totalPages"] as? Int == 2 && second.meta["hasNextPage"] as? Bool == false)
            #expect(try await page("?sort=best").errorDetails.keys.contains("sort"))
            // Public: a valid token changes nothing, and no token is needed.
            let withToken = try await call(client, .get, "/reviews/product/\(product)", as: "someone")
            #expect(withToken.status == .ok && (withToken.data["summary"] as? [String: Any])?["totalReviews"] as? Int == 3)

            let approvedQueue = try await call(client, .get, "/reviews/moderation?status=APPROVED", as: "admin-1", role: .admin)
            #expect(approvedQueue.list.map { $0["id"] as? String } == [ids[0], ids[1], ids[2]])
            #expect(try await call(client, .get, "/reviews/moderation", as: "admin-1", role: .admin).meta["total"] as? Int == 0)

            // Re-moderating an approved review takes it back out.
            _ = try await moderate(client, ids[0], #"{"status":"REJECTED"}"#)
            let after = try await page()
            let afterSummary = after.data["summary"] as? [String: Any]
            #expect(afterSummary?["averageRating"] as? Double == 4 && afterSummary?["totalReviews"] as? Int == 2)
            #expect(afterSummary?["distribution"] as? [String: Int] == ["1": 0, "2": 0, "3": 0, "4": 2, "5": 0])
            #expect((after.data["reviews"] as? [[String: Any]])?.map { $0["id"] as? String } == [ids[2], ids[1]])
            // Approving again counts it once; approving an approved review counts nothing more.
            _ = try await moderate(client, ids[0], #"{"status":"APPROVED"}"#)
            _ = try await moderate(client, ids[0], #"{"status":"APPROVED"}"#)
            let database = app.runtime.database
            #expect(try await database.query("SELECT counts FROM product_ratings WHERE product_id = \(product)").value([Int].self) == [0, 0, 0, 2, 1])
            #expect(try await database.scalar("SELECT count(*)::int FROM outbox WHERE topic = 'customer.review.created'") == 4)
            #expect(try await database.scalar("""
                SELECT count(*)::int FROM outbox WHERE topic = 'customer.review.moderated' AND value::jsonb #>> '{payload,productId}' = \(product)
                """) == 7)
        }
    }

    @Test(arguments: [
        ([0, 0, 0, 0, 0], 0.0), ([0, 0, 0, 2, 1], 4.3), ([1, 0, 0, 0, 1], 3.0), ([0, 0, 1, 1, 0], 3.5),
        ([2, 0, 0, 0, 1], 2.3), ([0, 1, 0, 0, 0], 2.0), ([0, 0, 0, 0, 7], 5.0), ([1, 1, 0, 0, 0], 1.5),
    ])
    func averageIsRoundedToOneDecimal(counts: [Int], average: Double) {
        let summary = RatingSummary(counts: counts)
        #expect(summary.averageRating == average)
        #expect(summary.totalReviews == counts.reduce(0, +))
        #expect(summary.distribution["5"] == counts[4] && summary.distribution.count == 5)
    }
}
