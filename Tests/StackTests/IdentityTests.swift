import Foundation
import NIOHTTP1
import Testing
import TestSupport

/// CONTRACT §1, identity: a user id is its bytes. Two tokens whose `sub`s Swift's `String` calls
/// equal (NFC and NFD, `K` and the Kelvin sign) are two customers on every route, and a `sub`
/// no auth-service issues is a 401.
@Suite struct IdentityTests {
    /// Pairs of ids that are canonically equivalent but different bytes.
    static func lookalikes() -> [(owner: String, other: String)] {
        let tag = UUID().uuidString.prefix(8).lowercased()
        return [("caf\u{E9}-\(tag)", "cafe\u{301}-\(tag)"), ("sec-K\(tag)", "sec-\u{212A}\(tag)")]
    }

    @Test func canonicallyEquivalentSubsNeverSeeEachOthersData() async throws {
        for (owner, other) in Self.lookalikes() {
            #expect(owner == other && Array(owner.utf8) != Array(other.utf8))
            let product = "lamp-\(UUID().uuidString.lowercased())"
            #expect(try await send(.POST, "/profile", as: owner, json: #"{"firstName":"Olive","lastName":"Owner"}"#).status == 201)
            let address = try #require(try data(await send(.POST, "/addresses", as: owner,
                json: #"{"line1":"1 Oak Lane","city":"Leeds","postcode":"LS1 4AP","country":"GB"}"#))["id"] as? String)
            let item = try #require(try data(await send(.POST, "/wishlist/items", as: owner,
                json: #"{"productId":"\#(product)","category":"KITCHEN","notes":"owner's note"}"#))["id"] as? String)
            let review = try #require(try data(await send(.POST, "/reviews", as: owner,
                json: #"{"productId":"\#(product)","rating":4,"title":"Mine","body":"A review only its owner may read."}"#))["id"] as? String)
            let ticket = try #require(try data(await send(.POST, "/support/tickets", as: owner,
                json: #"{"subject":"Owner's ticket","message":"Only the owner may read this."}"#))["id"] as? String)
            #expect(try await send(.PATCH, "/support/tickets/\(ticket)", as: "agent-1", role: .agent, json: #"{"status":"RESOLVED"}"#).status == 200)
            #expect(try await send(.POST, "/loyalty/transactions", as: "admin-1", role: .admin,
                                   json: #"{"userId":"\#(owner)","type":"EARN","points":70,"reason":"Welcome"}"#).status == 201)
            let export = try #require(try data(await send(.POST, "/privacy/exports", as: owner))["id"] as? String)

            // The lookalike: every route answers as for a stranger.
            #expect(try await send(.GET, "/profile", as: other).status == 404)
            #expect(try await send(.POST, "/profile", as: other, json: #"{"firstName":"Otto","lastName":"Other"}"#).status == 201)
            #expect((try await send(.GET, "/addresses", as: other).json()["data"] as? [Any])?.isEmpty == true)
            #expect(try await send(.PATCH, "/addresses/\(address)", as: other, json: #"{"city":"York"}"#).status == 404)
            #expect(try await send(.DELETE, "/addresses/\(address)", as: other).status == 404)
            #expect(try data(await send(.GET, "/wishlist", as: other))["itemCount"] as? Int == 0)
            #expect(try data(await send(.GET, "/wishlist/check/\(product)", as: other))["inWishlist"] as? Bool == false)
            #expect(try await send(.DELETE, "/wishlist/items/\(item)", as: other).status == 404)
            #expect(try await send(.GET, "/reviews/\(review)", as: other).status == 404)
            #expect((try await send(.GET, "/reviews", as: other).json()["data"] as? [Any])?.isEmpty == true)
            #expect(try await send(.GET, "/support/tickets/\(ticket)", as: other).status == 404)
            #expect((try data(await send(.GET, "/support/tickets", as: other))["tickets"] as? [Any])?.isEmpty == true)
            #expect(try await send(.POST, "/support/tickets/\(ticket)/messages", as: other, json: #"{"message":"Let me in"}"#).status == 404)
            #expect(try await send(.POST, "/support/tickets/\(ticket)/rating", as: other, json: #"{"rating":1}"#).status == 404)
            #expect(try await send(.GET, "/privacy/exports/\(export)", as: other).status == 404)
            #expect(try await send(.GET, "/privacy/exports/\(export)/download", as: other).status == 404)
            #expect((try await send(.GET, "/privacy/exports", as: other).json()["data"] as? [Any])?.isEmpty == true)
            #expect(try data(await send(.GET, "/loyalty", as: other))["points"] as? Int == 0)
            #expect((try data(await send(.GET, "/loyalty/transactions", as: other))["transactions"] as? [Any])?.isEmpty == true)

            // Nothing of the owner's moved or changed.
            let addresses = try await send(.GET, "/addresses", as: owner).json()["data"] as? [[String: Any]] ?? []
            #expect(addresses.map { $0["city"] as? String } == ["Leeds"])
            #expect(try data(await send(.GET, "/wishlist", as: owner))["itemCount"] as? Int == 1)
            #expect(try await send(.GET, "/reviews/\(review)", as: owner).status == 200)
            let ownTicket = try data(await send(.GET, "/support/tickets/\(ticket)", as: owner))
            #expect((ownTicket["messages"] as? [Any])?.count == 1 && ownTicket["rating"] is NSNull)
            #expect(try data(await send(.GET, "/loyalty", as: owner))["points"] as? Int == 70)
            #expect(try data(await send(.GET, "/profile", as: owner))["firstName"] as? String == "Olive")
        }
    }

    @Test(arguments: ["nul\u{0}sub", "cr\rsub", "with space", String(repeating: "a", count: 129), ""])
    func aSubNoAuthServiceIssuesIs401(sub: String) async throws {
        let token = try await TestEnvironment.token(sub)
        for path in ["/v1/customers/profile", "/v1/customers/wishlist", "/v1/customers/support/tickets", "/v1/customers/loyalty"] {
            let reply = try await Gateway.get(path, headers: ["Authorization": "Bearer \(token)"])
            #expect(reply.status == 401, "\(path)")
            #expect((try reply.json()["error"] as? [String: Any])?["code"] as? String == "UNAUTHORIZED", "\(path)")
        }
    }

    /// A `sub` ending in `:gen` names no other customer's cache entry or generation.
    @Test func aSubShapedLikeACacheKeyReachesOnlyItsOwnEntries() async throws {
        let victim = TestEnvironment.uniqueUser()
        #expect(try await send(.POST, "/profile", as: victim, json: #"{"firstName":"Vera","lastName":"Victim"}"#).status == 201)
        #expect(try data(await send(.GET, "/profile", as: victim))["firstName"] as? String == "Vera")  // cached now
        for attacker in [victim + ":gen", victim + "%3Agen", "x:" + victim] {
            #expect(try await send(.GET, "/profile", as: attacker).status == 404)
            #expect(try await send(.POST, "/profile", as: attacker, json: #"{"firstName":"Mallory","lastName":"M"}"#).status == 201)
            #expect(try data(await send(.GET, "/profile", as: attacker))["firstName"] as? String == "Mallory")
        }
        #expect(try data(await send(.GET, "/profile", as: victim))["firstName"] as? String == "Vera")
        #expect(try data(await send(.GET, "/loyalty", as: victim + ":gen"))["userId"] as? String == victim + ":gen")
    }
}
