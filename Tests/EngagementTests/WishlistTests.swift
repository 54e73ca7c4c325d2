@testable import engagement
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Storage
import Testing
import TestSupport

@Suite struct WishlistTests {
    /// `customer.wishlist.updated` payloads written for `user`, oldest first.
    func events(_ user: String, _ database: Database) async throws -> [(String, String?, Int)] {
        var events: [(String, String?, Int)] = []
        for try await event in try await database.query("""
            SELECT value::jsonb #>> '{payload,action}', value::jsonb #>> '{payload,productId}', (value::jsonb #>> '{payload,itemCount}')::int
            FROM outbox WHERE topic = 'customer.wishlist.updated' AND key = \(user) ORDER BY seq
            """).decode((String, String?, Int).self) { events.append(event) }
        return events
    }

    @Test func createdEmptyThenAddedCheckedFilteredRemovedAndCleared() async throws {
        try await withTestService(EngagementService.self) { client, app in
            let user = TestEnvironment.uniqueUser(), other = TestEnvironment.uniqueUser()
            #expect(try await call(client, .get, "/wishlist", as: nil).status == .unauthorized)

            let empty = try await call(client, .get, "/wishlist", as: user)
            #expect(empty.status == .ok && empty.data["userId"] as? String == user && empty.data["itemCount"] as? Int == 0)
            #expect((empty.data["items"] as? [Any])?.isEmpty == true && UUID(uuidString: empty.data["id"] as? String ?? "") != nil)
            #expect(empty.meta["total"] as? Int == 0 && empty.meta["page"] as? Int == 1 && empty.meta["limit"] as? Int == 20)
            // The same wishlist on every access.
            #expect(try await call(client, .get, "/wishlist", as: user).data["id"] as? String == empty.data["id"] as? String)

            let oak = try await call(client, .post, "/wishlist/items", as: user,
                                     body: #"{"productId":"oak-kitchen","category":"KITCHEN","notes":"  by the window "}"#)
            #expect(oak.status == .created && oak.data["productId"] as? String == "oak-kitchen" && oak.data["category"] as? String == "KITCHEN")
            #expect(oak.data["notes"] as? String == "by the window" && oak.data["addedAt"] is String)
            let oakId = try #require(oak.data["id"] as? String)
            let twice = try await call(client, .post, "/wishlist/items", as: user, body: #"{"productId":"oak-kitchen","category":"BEDROOM"}"#)
            #expect(twice.status == .conflict && twice.errorCode == "CONFLICT")
            let bed = try await call(client, .post, "/wishlist/items", as: user, body: #"{"productId":"pine-bed","category":"BEDROOM","notes":null}"#)
            #expect(bed.status == .created && bed.data["notes"] is NSNull)

            let all = try await call(client, .get, "/wishlist", as: user)
            #expect(all.data["itemCount"] as? Int == 2 && all.meta["total"] as? Int == 2)
            #expect((all.data["items"] as? [[String: Any]])?.map { $0["productId"] as? String } == ["pine-bed", "oak-kitchen"])
            let kitchens = try await call(client, .get, "/wishlist?category=KITCHEN&limit=1", as: user)
            #expect(kitchens.data["itemCount"] as? Int == 1 && (kitchens.data["items"] as? [Any])?.count == 1)
            let secondPage = try await call(client, .get, "/wishlist?page=2&limit=1", as: user)
            #expect((secondPage.data["items"] as? [[String: Any]])?.first?["productId"] as? String == "oak-kitchen")
            #expect(secondPage.meta["totalPages"] as? Int == 2 && secondPage.meta["hasPreviousPage"] as? Bool == true)
            let badFilter = try await call(client, .get, "/wishlist?category=GARDEN&limit=0", as: user)
            #expect(badFilter.status == .unprocessableContent && Set(badFilter.errorDetails.keys) == ["category", "limit"])

            let saved = try await call(client, .get, "/wishlist/check/oak-kitchen", as: user)
            #expect(saved.data["inWishlist"] as? Bool == true && saved.data["itemId"] as? String == oakId)
            let unsaved = try await call(client, .get, "/wishlist/check/walnut", as: user)
            #expect(unsaved.data["inWishlist"] as? Bool == false && unsaved.data["itemId"] is NSNull)
            #expect(try await call(client, .get, "/wishlist/check/oak-kitchen", as: other).data["inWishlist"] as? Bool == false)

            // Another customer's item, an unknown or a malformed id: 404.
            #expect(try await call(client, .delete, "/wishlist/items/\(oakId)", as: other).status == .notFound)
            #expect(try await call(client, .delete, "/wishlist/items/\(UUID())", as: user).status == .notFound)
            #expect(try await call(client, .delete, "/wishlist/items/not-a-uuid", as: user).errorCode == "NOT_FOUND")
            #expect(try await call(client, .delete, "/wishlist/items/\(oakId.lowercased())", as: user).status == .noContent)
            #expect(try await call(client, .delete, "/wishlist/items/\(oakId)", as: user).status == .notFound)
            #expect(try await call(client, .get, "/wishlist", as: user).data["itemCount"] as? Int == 1)

            #expect(try await call(client, .delete, "/wishlist/items", as: user).status == .noContent)
            #expect(try await call(client, .delete, "/wishlist/items", as: user).status == .noContent)
            #expect(try await call(client, .get, "/wishlist", as: user).data["itemCount"] as? Int == 0)

            // One event per change, with the count after it; clearing an empty list is no change.
            let published = try await events(user, app.runtime.database)
            #expect(published.map(\.0) == ["added", "added", "removed", "cleared"])
            #expect(published.map(\.1) == ["oak-kitchen", "pine-bed", "oak-kitchen", nil])
            #expect(published.map(\.2) == [1, 2, 1, 0])
            // `productId` is null, not left out, on `cleared` (CONTRACT §12).
            #expect(try await app.runtime.database.scalar("""
                SELECT count(*)::int FROM outbox WHERE key = \(user) AND value::jsonb -> 'payload' -> 'productId' = 'null'::jsonb
                """) == 1)
            #expect(try await app.runtime.database.scalar("""
                SELECT count(*)::int FROM outbox WHERE topic = 'customer.wishlist.updated' AND key = \(user)
                  AND value::jsonb ->> 'source' = 'engagement' AND value::jsonb ->> 'userId' = \(user)
                  AND value::jsonb ->> 'version' = '1' AND value::jsonb ? 'correlationId' AND value::jsonb ? 'occurredAt'
                """) == 4)
        }
    }

    @Test func invalidItemsAre422WithEveryField() async throws {
        try await withTestService(EngagementService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            let missing = try await call(client, .post, "/wishlist/items", as: user, body: "{}")
            #expect(missing.status == .unprocessableContent && missing.errorCode == "VALIDATION_ERROR")
            #expect(Set(missing.errorDetails.keys) == ["productId", "category"])
            let long = String(repeating: "n", count: 501), longId = String(repeating: "p", count: 101)
            let wrong = try await call(client, .post, "/wishlist/items", as: user,
                                       body: #"{"productId":"\#(longId)","category":"GARDEN","notes":"\#(long)","colour":"red"}"#)
            #expect(wrong.errorDetails == [
                "productId": "productId must be at most 100 characters",
                "category": "category must be one of KITCHEN, BEDROOM",
                "notes": "notes must be at most 500 characters",
                "colour": "colour is not an accepted field",
            ])
            let typed = try await call(client, .post, "/wishlist/items", as: user, body: #"{"productId":7,"category":"KITCHEN","notes":1}"#)
            #expect(Set(typed.errorDetails.keys) == ["productId", "notes"])
            let malformed = try await call(client, .post, "/wishlist/items", as: user, body: "{not json")
            #expect(malformed.status == .badRequest && malformed.errorCode == "BAD_REQUEST")
            // Nothing was written by any of them.
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM wishlist_items") == 0)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM outbox") == 0)
        }
    }

    /// 105 concurrent adds: exactly 100 are saved, the rest are 422 naming the limit.
    @Test func theHundredAndFirstItemIs422EvenUnderConcurrentAdds() async throws {
        try await withTestService(EngagementService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<105 {
                    group.addTask {
                        try await call(client, .post, "/wishlist/items", as: user,
                                       body: #"{"productId":"product-\#(index)","category":"BEDROOM"}"#).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 100)
            #expect(statuses.filter { $0 == .unprocessableContent }.count == 5)
            let over = try await call(client, .post, "/wishlist/items", as: user, body: #"{"productId":"one-more","category":"KITCHEN"}"#)
            #expect(over.status == .unprocessableContent && over.errorDetails == ["items": "A wishlist holds at most 100 items"])
            // Already saved beats full: the answer that tells the customer more.
            #expect(try await call(client, .post, "/wishlist/items", as: user, body: #"{"productId":"product-0","category":"BEDROOM"}"#).status == .conflict)
            let database = app.runtime.database
            #expect(try await database.scalar("SELECT count(*)::int FROM wishlist_items WHERE user_id = \(user)") == 100)
            #expect(try await database.scalar("SELECT item_count FROM wishlists WHERE user_id = \(user)") == 100)
            // The counts published are 1…100 in the order the adds took the lock (each event's
            // outbox `seq` is drawn under it), so the newest event always has the true count.
            #expect(try await events(user, database).map(\.2) == Array(1...100))
            #expect(try await call(client, .get, "/wishlist", as: user).data["itemCount"] as? Int == 100)
        }
    }

    /// The same item removed twice at once, and removes racing a clear: each removal happens
    /// once, the count stays equal to the rows, and nobody gets a 500.
    @Test func concurrentRemovesAndClearsKeepTheCountExact() async throws {
        try await withTestService(EngagementService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            var ids: [String] = []
            for index in 0..<6 {
                let added = try await call(client, .post, "/wishlist/items", as: user, body: #"{"productId":"p-\#(index)","category":"KITCHEN"}"#)
                ids.append(try #require(added.data["id"] as? String))
            }
            /// DELETEs sent at once; the statuses by path.
            func concurrently(_ paths: [String]) async throws -> [(String, HTTPResponse.Status)] {
                try await withThrowingTaskGroup(of: (String, HTTPResponse.Status).self) { group in
                    for path in paths { group.addTask { (path, try await call(client, .delete, path, as: user).status) } }
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
}
