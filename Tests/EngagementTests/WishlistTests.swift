import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import Storage
import TestSupport
import Testing

@testable import engagement

@Suite(.needsTestServers) struct WishlistTests {
    /// `customer.wishlist.updated` payloads written for `user`, oldest first.
    func events(_ user: String, _ database: Database) async throws -> [(String, String?, Int)] {
        var events: [(String, String?, Int)] = []
        for try await event in try await database.query(
            """
            SELECT value::jsonb #>> '{payload,action}', value::jsonb #>> '{payload,productId}', (value::jsonb #>> '{payload,itemCount}')::int
            FROM outbox WHERE topic = 'customer.wishlist.updated' AND key = \(user) ORDER BY seq
            """
        ).decode((String, String?, Int).self) { events.append(event) }
        return events
    }

    /// `oak-kitchen` with notes to trim, as a customer saves it.
    static let oakKitchen: JSONValue = ["productId": "oak-kitchen", "category": "KITCHEN", "notes": "  by the window "]
    /// `pine-bed` with notes sent as null.
    static let pineBed: JSONValue = ["productId": "pine-bed", "category": "BEDROOM", "notes": nil]

    /// `user`'s wishlist with `oak-kitchen` saved, then `pine-bed`.
    func twoSavedItems(_ api: API, _ user: String) async throws -> (oak: WishlistItem, pine: WishlistItem) {
        let oak = try await api.post("/wishlist/items", as: user, body: Self.oakKitchen)
        let pine = try await api.post("/wishlist/items", as: user, body: Self.pineBed)
        return (try oak.data(WishlistItem.self), try pine.data(WishlistItem.self))
    }

    // MARK: Reading

    @Test func theWishlistNeedsAToken() async throws {
        try await withTestService(EngagementService.self) { (api, _) async throws in
            #expect(try await api.get("/wishlist", as: nil).status == .unauthorized)
        }
    }

    @Test func theFirstAccessCreatesAnEmptyWishlistThatStaysTheSame() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let empty = try await api.get("/wishlist", as: user)
            #expect(empty.status == .ok)
            let wishlist = try empty.data(Wishlist.self)  // its `id` decodes as a UUID
            #expect(wishlist.userId == user && wishlist.itemCount == 0 && wishlist.items.isEmpty)
            let meta = try empty.meta()
            #expect(meta.total == 0 && meta.page == 1 && meta.limit == 20)
            // The same wishlist on every access.
            #expect(try await api.get("/wishlist", as: user).data(Wishlist.self).id == wishlist.id)
        }
    }

    @Test func itemsAreListedNewestFirstWithTheirCount() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            _ = try await twoSavedItems(api, user)
            let all = try await api.get("/wishlist", as: user)
            let wishlist = try all.data(Wishlist.self)
            let meta = try all.meta()
            #expect(wishlist.itemCount == 2 && meta.total == 2)
            #expect(wishlist.items.map(\.productId) == ["pine-bed", "oak-kitchen"])
        }
    }

    @Test func aCategoryFilterCountsOnlyThatCategorysItems() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            _ = try await twoSavedItems(api, user)
            let kitchens = try await api.get("/wishlist?category=KITCHEN&limit=1", as: user).data(Wishlist.self)
            #expect(kitchens.itemCount == 1 && kitchens.items.count == 1)
        }
    }

    @Test func aSecondPageHoldsTheOlderItemAndSaysWhereItIs() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            _ = try await twoSavedItems(api, user)
            let secondPage = try await api.get("/wishlist?page=2&limit=1", as: user)
            #expect(try secondPage.data(Wishlist.self).items.first?.productId == "oak-kitchen")
            let meta = try secondPage.meta()
            #expect(meta.totalPages == 2 && meta.hasPreviousPage == true)
        }
    }

    @Test func anUnknownCategoryAndAZeroLimitAreBothNamed() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let badFilter = try await api.get("/wishlist?category=GARDEN&limit=0", as: TestEnvironment.uniqueUser())
            #expect(badFilter.status == .unprocessableContent && Set(badFilter.errorDetails.keys) == ["category", "limit"])
        }
    }

    // MARK: Adding

    @Test func anAddedItemComesBackWithItsNotesTrimmed() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let oak = try await api.post("/wishlist/items", as: TestEnvironment.uniqueUser(), body: Self.oakKitchen)
            #expect(oak.status == .created)
            let item = try oak.data(WishlistItem.self)  // its `addedAt` decodes as a timestamp
            #expect(item.productId == "oak-kitchen" && item.category == .kitchen && item.notes == "by the window")
        }
    }

    @Test func notesMayBeNull() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let bed = try await api.post("/wishlist/items", as: TestEnvironment.uniqueUser(), body: Self.pineBed)
            #expect(bed.status == .created)
            // Present, as null.
            #expect(try bed.data([String: JSONValue].self)["notes"] == .null)
        }
    }

    @Test func aProductAlreadySavedIsAConflict() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            #expect(try await api.post("/wishlist/items", as: user, body: Self.oakKitchen).status == .created)
            let twice = try await api.post("/wishlist/items", as: user, body: ["productId": "oak-kitchen", "category": "BEDROOM"])
            #expect(twice.status == .conflict && twice.errorCode == "CONFLICT")
        }
    }

    @Test func invalidItemsAre422WithEveryField() async throws {
        try await withTestService(EngagementService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            let missing = try await api.post("/wishlist/items", as: user, body: [:])
            #expect(missing.status == .unprocessableContent && missing.errorCode == "VALIDATION_ERROR")
            #expect(Set(missing.errorDetails.keys) == ["productId", "category"])
            let long = String(repeating: "n", count: 501)
            let longId = String(repeating: "p", count: 101)
            let wrong = try await api.post(
                "/wishlist/items", as: user,
                body: [
                    "productId": .string(longId), "category": "GARDEN", "notes": .string(long), "colour": "red",
                ])
            #expect(
                wrong.errorDetails == [
                    "productId": "productId must be at most 100 characters",
                    "category": "category must be one of KITCHEN, BEDROOM",
                    "notes": "notes must be at most 500 characters",
                    "colour": "colour is not an accepted field",
                ])
            let typed = try await api.post("/wishlist/items", as: user, body: ["productId": 7, "category": "KITCHEN", "notes": 1])
            #expect(Set(typed.errorDetails.keys) == ["productId", "notes"])
            let malformed = try await api.send(.post, "/wishlist/items", as: user, json: "{not json")
            #expect(malformed.status == .badRequest && malformed.errorCode == "BAD_REQUEST")
            // Nothing was written by any of them.
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM wishlist_items") == 0)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM outbox") == 0)
        }
    }

    /// 105 concurrent adds: exactly 100 are saved, the rest are 422 naming the limit.
    @Test func theHundredAndFirstItemIs422EvenUnderConcurrentAdds() async throws {
        try await withTestService(EngagementService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<105 {
                    group.addTask {
                        try await api.post("/wishlist/items", as: user, body: ["productId": "product-\(index)", "category": "BEDROOM"]).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 100)
            #expect(statuses.filter { $0 == .unprocessableContent }.count == 5)
            let over = try await api.post("/wishlist/items", as: user, body: ["productId": "one-more", "category": "KITCHEN"])
            #expect(over.status == .unprocessableContent && over.errorDetails == ["items": "A wishlist holds at most 100 items"])
            // Already saved beats full: the answer that tells the customer more.
            #expect(try await api.post("/wishlist/items", as: user, body: ["productId": "product-0", "category": "BEDROOM"]).status == .conflict)
            let database = app.runtime.database
            #expect(try await database.scalar("SELECT count(*)::int FROM wishlist_items WHERE user_id = \(user)") == 100)
            #expect(try await database.scalar("SELECT item_count FROM wishlists WHERE user_id = \(user)") == 100)
            // The counts published are 1…100 in the order the adds took the lock (each event's
            // outbox `seq` is drawn under it), so the newest event always has the true count.
            #expect(try await events(user, database).map(\.2) == Array(1...100))
            #expect(try await api.get("/wishlist", as: user).data(Wishlist.self).itemCount == 100)
        }
    }

    // MARK: Checking

    @Test func checkNamesTheItemHoldingASavedProduct() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let oak = try await api.post("/wishlist/items", as: user, body: Self.oakKitchen).data(WishlistItem.self)
            let saved = try await api.get("/wishlist/check/oak-kitchen", as: user).data(WishlistController.Check.self)
            #expect(saved.inWishlist == true && saved.itemId == oak.id)
            let unsaved = try await api.get("/wishlist/check/walnut", as: user)
            #expect(try unsaved.data(WishlistController.Check.self).inWishlist == false)
            // `itemId` is present, as null.
            #expect(try unsaved.data([String: JSONValue].self)["itemId"] == .null)
        }
    }

    @Test func checkSeesOnlyTheCallersOwnWishlist() async throws {
        try await withTestService(EngagementService.self) { (api, _) async throws in
            let user = TestEnvironment.uniqueUser()
            let other = TestEnvironment.uniqueUser()
            #expect(try await api.post("/wishlist/items", as: user, body: Self.oakKitchen).status == .created)
            #expect(try await api.get("/wishlist/check/oak-kitchen", as: other).data(WishlistController.Check.self).inWishlist == false)
        }
    }

    // MARK: Removing and clearing

    @Test func anotherCustomersItemIsNotFound() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let other = TestEnvironment.uniqueUser()
            let oak = try await api.post("/wishlist/items", as: user, body: Self.oakKitchen).data(WishlistItem.self)
            #expect(try await api.delete("/wishlist/items/\(oak.id)", as: other).status == .notFound)
            // And it stays in its owner's wishlist.
            #expect(try await api.get("/wishlist", as: user).data(Wishlist.self).itemCount == 1)
        }
    }

    @Test func anUnknownOrMalformedItemIdIsNotFound() async throws {
        try await withTestService(EngagementService.self) { (api, _) async throws in
            let user = TestEnvironment.uniqueUser()
            #expect(try await api.delete("/wishlist/items/\(UUID())", as: user).status == .notFound)
            #expect(try await api.delete("/wishlist/items/not-a-uuid", as: user).errorCode == "NOT_FOUND")
        }
    }

    @Test func aRemovedItemIsGoneAndRemovingItAgainIsNotFound() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let (oak, _) = try await twoSavedItems(api, user)
            #expect(try await api.delete("/wishlist/items/\(oak.id.lowercasedString)", as: user).status == .noContent)
            #expect(try await api.delete("/wishlist/items/\(oak.id)", as: user).status == .notFound)
            #expect(try await api.get("/wishlist", as: user).data(Wishlist.self).itemCount == 1)
        }
    }

    @Test func clearingEmptiesTheWishlistAndClearingAnEmptyOneSucceeds() async throws {
        try await withTestService(EngagementService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            _ = try await twoSavedItems(api, user)
            #expect(try await api.delete("/wishlist/items", as: user).status == .noContent)
            #expect(try await api.delete("/wishlist/items", as: user).status == .noContent)
            #expect(try await api.get("/wishlist", as: user).data(Wishlist.self).itemCount == 0)
        }
    }

    /// The same item removed twice at once, and removes racing a clear: each removal happens
    /// once, the count stays equal to the rows, and nobody gets a 500.
    @Test func concurrentRemovesAndClearsKeepTheCountExact() async throws {
        try await withTestService(EngagementService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            var ids: [UUID] = []
            for index in 0..<6 {
                let added = try await api.post("/wishlist/items", as: user, body: ["productId": "p-\(index)", "category": "KITCHEN"])
                ids.append(try added.data(WishlistItem.self).id)
            }
            /// DELETEs sent at once; the statuses by path.
            func concurrently(_ paths: [String]) async throws -> [(String, HTTPResponse.Status)] {
                try await withThrowingTaskGroup(of: (String, HTTPResponse.Status).self) { group in
                    for path in paths { group.addTask { (path, try await api.delete(path, as: user).status) } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            let twice = try await concurrently(["/wishlist/items/\(ids[0])", "/wishlist/items/\(ids[0])"])
            #expect(twice.map(\.1.code).sorted() == [204, 404])
            #expect(try await app.runtime.database.scalar("SELECT item_count FROM wishlists WHERE user_id = \(user)") == 5)

            let raced = try await concurrently(ids.dropFirst().map { "/wishlist/items/\($0)" } + ["/wishlist/items"])
            #expect(raced.allSatisfy { $0.1 == .noContent || ($0.1 == .notFound && $0.0 != "/wishlist/items") })
            let database = app.runtime.database
            #expect(try await database.scalar("SELECT count(*)::int FROM wishlist_items WHERE user_id = \(user)") == 0)
            #expect(try await database.scalar("SELECT item_count FROM wishlists WHERE user_id = \(user)") == 0)
            // One `removed` per 204 of a single item, and the last event says 0.
            let published = try await events(user, database)
            let removed = raced.filter { $0.0 != "/wishlist/items" && $0.1 == .noContent }.count
            #expect(published.filter { $0.0 == "removed" }.count == 1 + removed)
            #expect(published.last?.2 == 0)
        }
    }

    // MARK: Events

    /// Every kind of change and of refusal, in order: only the changes publish.
    @Test func eachChangePublishesOneEventWithTheCountAfterIt() async throws {
        try await withTestService(EngagementService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            let other = TestEnvironment.uniqueUser()
            let oak = try await api.post("/wishlist/items", as: user, body: Self.oakKitchen).data(WishlistItem.self)
            #expect(try await api.post("/wishlist/items", as: user, body: ["productId": "oak-kitchen", "category": "BEDROOM"]).status == .conflict)
            #expect(try await api.post("/wishlist/items", as: user, body: Self.pineBed).status == .created)
            #expect(try await api.delete("/wishlist/items/\(oak.id)", as: other).status == .notFound)
            #expect(try await api.delete("/wishlist/items/\(UUID())", as: user).status == .notFound)
            #expect(try await api.delete("/wishlist/items/\(oak.id)", as: user).status == .noContent)
            #expect(try await api.delete("/wishlist/items/\(oak.id)", as: user).status == .notFound)
            #expect(try await api.delete("/wishlist/items", as: user).status == .noContent)
            #expect(try await api.delete("/wishlist/items", as: user).status == .noContent)

            // One event per change, with the count after it; clearing an empty list is no change.
            let published = try await events(user, app.runtime.database)
            #expect(published.map(\.0) == ["added", "added", "removed", "cleared"])
            #expect(published.map(\.1) == ["oak-kitchen", "pine-bed", "oak-kitchen", nil])
            #expect(published.map(\.2) == [1, 2, 1, 0])
            // `productId` is null, not left out, on `cleared` (CONTRACT §12).
            #expect(
                try await app.runtime.database.scalar(
                    """
                    SELECT count(*)::int FROM outbox WHERE key = \(user) AND value::jsonb -> 'payload' -> 'productId' = 'null'::jsonb
                    """) == 1)
            #expect(
                try await app.runtime.database.scalar(
                    """
                    SELECT count(*)::int FROM outbox WHERE topic = 'customer.wishlist.updated' AND key = \(user)
                      AND value::jsonb ->> 'source' = 'engagement' AND value::jsonb ->> 'userId' = \(user)
                      AND value::jsonb ->> 'version' = '1' AND value::jsonb ? 'correlationId' AND value::jsonb ? 'occurredAt'
                    """) == 4)
        }
    }
}
