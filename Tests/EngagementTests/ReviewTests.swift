import Auth
import Contracts
import Foundation
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import engagement

@Suite(.needsTestServers) struct ReviewTests {
    /// A review with every optional field, as a customer writes it (the title to trim).
    static let sturdyTable: JSONValue = [
        "productId": "oak-table", "rating": 4, "title": " Sturdy ", "body": "Took an hour to assemble.", "orderId": "order-7",
        "category": "KITCHEN", "images": ["https://img.example.com/1.jpg", "HTTPS://img.example.com/2.jpg"],
    ]

    /// A review of `product` by `user`, checked to be created; its id.
    func review(_ api: API, by user: String, product: String, rating: Int, title: String = "Lovely") async throws -> UUID {
        let created = try await api.post(
            "/reviews", as: user,
            body: [
                "productId": .string(product), "rating": .int(rating), "title": .string(title), "body": "Solid oak, well made.",
            ])
        #expect(created.status == .created)
        return try created.data(Review.self).id
    }

    func moderate(_ api: API, _ id: UUID, _ body: JSONValue, as role: Role = .admin) async throws -> Answer {
        try await api.patch("/reviews/\(id)/status", as: "admin-1", role: role, body: body)
    }

    /// The public page of `product`, without a token.
    func page(_ api: API, _ product: String, _ query: String = "") async throws -> Answer {
        try await api.get("/reviews/product/\(product)\(query)", as: nil)
    }

    /// The ids of the reviews on a product page, in its order.
    func reviewIds(_ page: Answer) throws -> [UUID] {
        try page.data(ProductReviews.self).reviews.map(\.id)
    }

    /// Ratings 5, 4, 4 and 1 of a product no other test uses (product pages are cached under
    /// its id), by four customers, oldest first; all pending.
    func fourPendingReviews(_ api: API) async throws -> (product: String, ids: [UUID]) {
        let product = "oak-\(UUID().uuidString.prefix(8))"
        var ids: [UUID] = []
        for rating in [5, 4, 4, 1] {
            ids.append(try await review(api, by: TestEnvironment.uniqueUser(), product: product, rating: rating, title: "Rated \(rating)"))
        }
        return (product, ids)
    }

    /// `fourPendingReviews` with the 5, 4 and 4 approved and the 1 rejected: 4.3 from three reviews.
    func moderatedReviews(_ api: API) async throws -> (product: String, ids: [UUID]) {
        let (product, ids) = try await fourPendingReviews(api)
        for id in ids.prefix(3) { #expect(try await moderate(api, id, ["status": "APPROVED"]).status == .ok) }
        let rejected = try await moderate(api, ids[3], ["status": "REJECTED", "rejectionReason": "Not about the product"])
        #expect(rejected.status == .ok)
        return (product, ids)
    }

    /// `customer.review.moderated` events written for `product`.
    func moderatedEvents(_ product: String, _ app: ServiceApp) async throws -> Int {
        try await app.runtime.database.scalar(
            """
            SELECT count(*)::int FROM outbox WHERE topic = 'customer.review.moderated' AND value::jsonb #>> '{payload,productId}' = \(product)
            """)
    }

    // MARK: Writing and reading

    @Test func writingAReviewNeedsAToken() async throws {
        try await withTestService(EngagementService.self) { (api, _) async throws in
            #expect(try await api.post("/reviews", as: nil, body: [:]).status == .unauthorized)
        }
    }

    @Test func aNewReviewIsPendingWithWhatTheCustomerWrote() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let created = try await api.post("/reviews", as: user, body: Self.sturdyTable)
            #expect(created.status == .created)
            let review = try created.data(Review.self)  // `id` decodes as a UUID, `createdAt` and `updatedAt` as timestamps
            #expect(review.userId == user && review.productId == "oak-table")
            #expect(review.rating == 4 && review.title == "Sturdy" && review.body == "Took an hour to assemble.")
            #expect(review.orderId == "order-7" && review.category == .kitchen)
            #expect(review.images == ["https://img.example.com/1.jpg", "HTTPS://img.example.com/2.jpg"])
            #expect(review.status == .pending && review.verifiedPurchase == false && review.reviewerName == "Customer")
            // Present, as null.
            let fields = try created.data([String: JSONValue].self)
            #expect(fields["rejectionReason"] == .null && fields["moderatedAt"] == .null)
        }
    }

    @Test func aNewReviewIsPublishedAsPending() async throws {
        try await withTestService(EngagementService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            let review = try await api.post("/reviews", as: user, body: Self.sturdyTable).data(Review.self)
            let event = try await app.runtime.database.query(
                """
                SELECT value::jsonb #>> '{payload,reviewId}', value::jsonb #>> '{payload,status}', (value::jsonb #>> '{payload,rating}')::int,
                       value::jsonb #>> '{payload,productId}', value::jsonb #>> '{payload,createdAt}'
                FROM outbox WHERE topic = 'customer.review.created' AND key = \(user) ORDER BY seq LIMIT 1
                """
            ).decode((String, String, Int, String, String).self).firstElement()
            #expect(event.flatMap { UUID(uuidString: $0.0) } == review.id)
            #expect(event?.1 == "PENDING" && event?.2 == 4 && event?.3 == "oak-table")
            // The same instant, written the same way as in the response.
            #expect(event?.4 == Timestamp.iso8601(review.createdAt))
        }
    }

    @Test func aCustomerReviewsAProductOnlyOnce() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            #expect(try await api.post("/reviews", as: user, body: Self.sturdyTable).status == .created)
            let again = try await api.post(
                "/reviews", as: user,
                body: [
                    "productId": "oak-table", "rating": 5, "title": "Again", "body": "Changed my mind.",
                ])
            #expect(again.status == .conflict && again.errorCode == "CONFLICT")
        }
    }

    @Test func optionalFieldsMayBeLeftOutOrNull() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let plain = try await api.post(
                "/reviews", as: TestEnvironment.uniqueUser(),
                body: [
                    "productId": "pine-bed", "rating": 1, "title": "Creaks", "body": "Creaks every night.", "orderId": nil, "category": nil,
                ])
            #expect(plain.status == .created)
            let fields = try plain.data([String: JSONValue].self)
            #expect(fields["orderId"] == .null && fields["category"] == .null)
            #expect(try plain.data(Review.self).images == [])
        }
    }

    @Test func customersListTheirOwnReviewsNewestFirst() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let other = TestEnvironment.uniqueUser()
            _ = try await review(api, by: user, product: "oak-table", rating: 4)
            _ = try await review(api, by: user, product: "pine-bed", rating: 1)
            let mine = try await api.get("/reviews?limit=1", as: user)
            #expect(mine.status == .ok)
            #expect(try mine.meta().total == 2)
            #expect(try mine.data([Review].self).map(\.productId) == ["pine-bed"])
            #expect(try await api.get("/reviews", as: other).meta().total == 0)
        }
    }

    /// Another customer's review is a 404, never a 403 (CONTRACT §1); so is an agent's read.
    @Test func aReviewIsReadByItsWriterAndByAdminsOnly() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let other = TestEnvironment.uniqueUser()
            let id = try await review(api, by: user, product: "oak-table", rating: 4)
            #expect(try await api.get("/reviews/\(id)", as: user).data(Review.self).id == id)
            #expect(try await api.get("/reviews/\(id.lowercasedString)", as: "admin-1", role: .admin).status == .ok)
            #expect(try await api.get("/reviews/\(id)", as: other).status == .notFound)
            #expect(try await api.get("/reviews/\(id)", as: "agent-1", role: .agent).status == .notFound)
            #expect(try await api.get("/reviews/nope", as: user).status == .notFound)
            #expect(try await api.get("/reviews/\(UUID())", as: user).status == .notFound)
            #expect(try await api.get("/reviews/\(id)", as: nil).status == .unauthorized)
        }
    }

    @Test func invalidReviewsAre422WithEveryField() async throws {
        try await withTestService(EngagementService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            let missing = try await api.post("/reviews", as: user, body: [:])
            #expect(missing.status == .unprocessableContent && Set(missing.errorDetails.keys) == ["productId", "rating", "title", "body"])
            let images = JSONValue.array((0..<6).map { .string("https://img.example.com/\($0).jpg") })
            let wrong = try await api.post(
                "/reviews", as: user,
                body: [
                    "productId": "", "rating": 6, "title": .string(String(repeating: "t", count: 201)), "body": "too short", "images": images,
                    "orderId": "", "category": "GARDEN", "stars": 5,
                ])
            #expect(
                wrong.errorDetails == [
                    "productId": "productId must not be empty",
                    "rating": "rating must be between 1 and 5",
                    "title": "title must be at most 200 characters",
                    "body": "body must be at least 10 characters",
                    "images": "images must have at most 5 items",
                    "orderId": "orderId must not be empty",
                    "category": "category must be one of KITCHEN, BEDROOM",
                    "stars": "stars is not an accepted field",
                ])
            let typed = try await api.post(
                "/reviews", as: user,
                body: [
                    "productId": "p", "rating": 4.5, "title": "t", "body": .string(String(repeating: "b", count: 5001)),
                    "images": ["http://plain.example.com/a.jpg"],
                ])
            #expect(
                typed.errorDetails == [
                    "rating": "rating must be an integer",
                    "body": "body must be at most 5000 characters",
                    "images": "images item 0 must be an https URL",
                ])
            let notAnArray = try await api.post(
                "/reviews", as: user,
                body: [
                    "productId": "p", "rating": 3, "title": "t", "body": "long enough", "images": "x",
                ])
            #expect(notAnArray.errorDetails == ["images": "images must be an array"])
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM reviews") == 0)
        }
    }

    // MARK: Moderation

    /// Customers and agents may not moderate, nor see the queue; refusals change nothing.
    @Test func moderationIsForAdminsOnly() async throws {
        try await withTestService(EngagementService.self) { api, app in
            let product = "oak-\(UUID().uuidString.prefix(8))"
            let id = try await review(api, by: TestEnvironment.uniqueUser(), product: product, rating: 5)
            #expect(try await api.get("/reviews/moderation", as: "shopper").status == .forbidden)
            #expect(try await api.get("/reviews/moderation", as: nil).status == .unauthorized)
            #expect(try await moderate(api, id, ["status": "APPROVED"], as: .customer).status == .forbidden)
            #expect(try await moderate(api, id, ["status": "APPROVED"], as: .agent).status == .forbidden)
            #expect(try await moderatedEvents(product, app) == 0)
        }
    }

    @Test func moderatingAnUnknownReviewIsNotFound() async throws {
        try await withTestService(EngagementService.self) { (api, _) async throws in
            #expect(try await moderate(api, UUID(), ["status": "APPROVED"]).status == .notFound)
        }
    }

    @Test func aVerdictApprovesOrRejectsAndOnlyARejectionHasAReason() async throws {
        try await withTestService(EngagementService.self) { api, app in
            let product = "oak-\(UUID().uuidString.prefix(8))"
            let id = try await review(api, by: TestEnvironment.uniqueUser(), product: product, rating: 5)
            let invalid = try await moderate(api, id, ["status": "PENDING"])
            #expect(invalid.errorDetails == ["status": "status must be one of APPROVED, REJECTED"])
            let reasonless = try await moderate(api, id, ["status": "APPROVED", "rejectionReason": "fine"])
            #expect(reasonless.errorDetails == ["rejectionReason": "rejectionReason is only accepted with status REJECTED"])
            #expect(try await moderatedEvents(product, app) == 0)
        }
    }

    @Test func aRejectionKeepsItsReason() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let id = try await review(api, by: TestEnvironment.uniqueUser(), product: "oak-\(UUID().uuidString.prefix(8))", rating: 1)
            let rejected = try await moderate(api, id, ["status": "REJECTED", "rejectionReason": "Not about the product"]).data(Review.self)
            #expect(rejected.status == .rejected && rejected.rejectionReason == "Not about the product")
        }
    }

    @Test func theQueueListsPendingReviewsOldestFirst() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let (_, ids) = try await fourPendingReviews(api)
            let queue = try await api.get("/reviews/moderation", as: "admin-1", role: .admin)
            #expect(queue.status == .ok)
            #expect(try queue.data([Review].self).map(\.id) == ids)
            #expect(try queue.meta().total == 4)
        }
    }

    @Test func theQueueListsAnotherStatusOnRequest() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let (_, ids) = try await moderatedReviews(api)
            let approvedQueue = try await api.get("/reviews/moderation?status=APPROVED", as: "admin-1", role: .admin)
            #expect(try approvedQueue.data([Review].self).map(\.id) == [ids[0], ids[1], ids[2]])
            #expect(try await api.get("/reviews/moderation", as: "admin-1", role: .admin).meta().total == 0)
        }
    }

    // MARK: The public product page

    /// Pending reviews are not shown, nor counted.
    @Test func aProductWithNoApprovedReviewsHasAnEmptyPage() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let (product, _) = try await fourPendingReviews(api)
            let before = try await page(api, product)
            #expect(before.status == .ok)
            let reviews = try before.data(ProductReviews.self)
            #expect(reviews.productId == product && reviews.reviews.isEmpty)
            #expect(reviews.summary.averageRating == 0 && reviews.summary.totalReviews == 0)
            #expect(reviews.summary.distribution == ["1": 0, "2": 0, "3": 0, "4": 0, "5": 0])
            #expect(try before.meta().total == 0)
        }
    }

    @Test func approvingShowsTheReviewOnTheCachedPageAtOnce() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let (product, ids) = try await fourPendingReviews(api)
            // Nothing approved yet; this page is now cached.
            #expect(try await reviewIds(page(api, product)).isEmpty)
            let approved = try await moderate(api, ids[0], ["status": "APPROVED"])
            #expect(approved.status == .ok)
            let review = try approved.data(Review.self)
            #expect(review.status == .approved && review.moderatedAt != nil)
            #expect(try await reviewIds(page(api, product)) == [ids[0]])
        }
    }

    /// Ratings 5, 4, 4 approved and a 1 rejected: 4.3 from three reviews.
    @Test func theSummaryCountsApprovedReviewsOnly() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let (product, _) = try await moderatedReviews(api)
            let summary = try await page(api, product).data(ProductReviews.self).summary
            #expect(summary.averageRating == 4.3 && summary.totalReviews == 3)
            #expect(summary.distribution == ["1": 0, "2": 0, "3": 0, "4": 2, "5": 1])
        }
    }

    @Test func thePageSortsNewestHighestOrLowest() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let (product, ids) = try await moderatedReviews(api)
            func order(_ sort: String) async throws -> [UUID] {
                try await reviewIds(page(api, product, "?sort=\(sort)"))
            }
            #expect(try await order("newest") == [ids[2], ids[1], ids[0]])
            #expect(try await order("highest") == [ids[0], ids[2], ids[1]])
            #expect(try await order("lowest") == [ids[2], ids[1], ids[0]])
        }
    }

    @Test func thePageIsPagedOverTheApprovedReviews() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let (product, ids) = try await moderatedReviews(api)
            let second = try await page(api, product, "?sort=highest&limit=2&page=2")
            #expect(try reviewIds(second) == [ids[1]])
            let meta = try second.meta()
            #expect(meta.total == 3 && meta.totalPages == 2 && meta.hasNextPage == false)
        }
    }

    @Test func anUnknownSortIsRefused() async throws {
        try await withTestService(EngagementService.self) { (api, _) async throws in
            #expect(try await page(api, "oak-\(UUID().uuidString.prefix(8))", "?sort=best").errorDetails.keys.contains("sort"))
        }
    }

    /// Public: a valid token changes nothing, and no token is needed.
    @Test func theProductPageIsPublic() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let (product, _) = try await moderatedReviews(api)
            #expect(try await page(api, product).data(ProductReviews.self).summary.totalReviews == 3)
            let withToken = try await api.get("/reviews/product/\(product)", as: "someone")
            #expect(withToken.status == .ok)
            #expect(try withToken.data(ProductReviews.self).summary.totalReviews == 3)
        }
    }

    /// Re-moderating the approved 5 to REJECTED takes it out of the summary and the (cached)
    /// page at once.
    @Test func reModeratingAnApprovedReviewTakesItOutAtOnce() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let (product, ids) = try await moderatedReviews(api)
            #expect(try await reviewIds(page(api, product)) == [ids[2], ids[1], ids[0]])  // and now cached
            #expect(try await moderate(api, ids[0], ["status": "REJECTED"]).status == .ok)
            let after = try await page(api, product).data(ProductReviews.self)
            #expect(after.summary.averageRating == 4 && after.summary.totalReviews == 2)
            #expect(after.summary.distribution == ["1": 0, "2": 0, "3": 0, "4": 2, "5": 0])
            #expect(after.reviews.map(\.id) == [ids[2], ids[1]])
        }
    }

    /// Approving again counts it once; approving an approved review counts nothing more.
    @Test func approvingAnApprovedReviewCountsItOnce() async throws {
        try await withTestService(EngagementService.self) { api, app in
            let (product, ids) = try await moderatedReviews(api)
            #expect(try await moderate(api, ids[0], ["status": "REJECTED"]).status == .ok)
            #expect(try await moderate(api, ids[0], ["status": "APPROVED"]).status == .ok)
            #expect(try await moderate(api, ids[0], ["status": "APPROVED"]).status == .ok)
            let database = app.runtime.database
            #expect(
                try await database.query("SELECT counts FROM product_ratings WHERE product_id = \(product)").value([Int].self) == [0, 0, 0, 2, 1])
            #expect(try await database.scalar("SELECT count(*)::int FROM outbox WHERE topic = 'customer.review.created'") == 4)
            // Four in `moderatedReviews`, then three here: every verdict is published, even a repeated one.
            #expect(try await moderatedEvents(product, app) == 7)
        }
    }
}
