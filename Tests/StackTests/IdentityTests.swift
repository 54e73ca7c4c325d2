import Contracts
import Foundation
import Hummingbird
import TestSupport
import Testing

@testable import engagement
@testable import loyalty
@testable import profiles
@testable import support

/// CONTRACT §1, identity: a user id is its bytes. Two tokens whose `sub`s Swift's `String` calls
/// equal (NFC and NFD, `K` and the Kelvin sign) are two customers on every route, and a `sub`
/// no auth-service issues is a 401.
@Suite(.needsStack) struct IdentityTests {
    /// Pairs of ids that are canonically equivalent but different bytes.
    static func lookalikes() -> [(owner: String, other: String)] {
        let tag = UUID().uuidString.prefix(8).lowercased()
        return [("caf\u{E9}-\(tag)", "cafe\u{301}-\(tag)"), ("sec-K\(tag)", "sec-\u{212A}\(tag)")]
    }

    @Test func lookalikeSubsAreEqualStringsOfDifferentBytes() {
        for (owner, other) in Self.lookalikes() {
            #expect(owner == other && Array(owner.utf8) != Array(other.utf8))
        }
    }

    // The lookalike of an owner with data in a context: every route of it answers as for a
    // stranger, and nothing of the owner's moves or changes.

    @Test func aLookalikeIsAStrangerToTheOwnersProfileAndAddresses() async throws {
        for (owner, other) in Self.lookalikes() {
            #expect(try await gateway.post("/profile", as: owner, body: ["firstName": "Olive", "lastName": "Owner"]).status == .created)
            let address = try await gateway.post(
                "/addresses", as: owner, body: ["line1": "1 Oak Lane", "city": "Leeds", "postcode": "LS1 4AP", "country": "GB"]
            ).data(Address.self).id.lowercasedString

            #expect(try await gateway.get("/profile", as: other).status == .notFound)
            #expect(try await gateway.post("/profile", as: other, body: ["firstName": "Otto", "lastName": "Other"]).status == .created)
            #expect(try await gateway.get("/addresses", as: other).data([Address].self).isEmpty)
            #expect(try await gateway.patch("/addresses/\(address)", as: other, body: ["city": "York"]).status == .notFound)
            #expect(try await gateway.delete("/addresses/\(address)", as: other).status == .notFound)

            #expect(try await gateway.get("/addresses", as: owner).data([Address].self).map(\.city) == ["Leeds"])
            #expect(try await gateway.get("/profile", as: owner).data(Profile.self).firstName == "Olive")
        }
    }

    @Test func aLookalikeIsAStrangerToTheOwnersWishlistAndReviews() async throws {
        for (owner, other) in Self.lookalikes() {
            let product = "lamp-\(UUID().uuidString.lowercased())"
            let item = try await gateway.post(
                "/wishlist/items", as: owner, body: ["productId": "\(product)", "category": "KITCHEN", "notes": "owner's note"]
            ).data(WishlistItem.self).id.lowercasedString
            let review = try await gateway.post(
                "/reviews", as: owner,
                body: ["productId": "\(product)", "rating": 4, "title": "Mine", "body": "A review only its owner may read."]
            ).data(Review.self).id.lowercasedString

            #expect(try await gateway.get("/wishlist", as: other).data(Wishlist.self).itemCount == 0)
            #expect(try await gateway.get("/wishlist/check/\(product)", as: other).data(WishlistController.Check.self).inWishlist == false)
            #expect(try await gateway.delete("/wishlist/items/\(item)", as: other).status == .notFound)
            #expect(try await gateway.get("/reviews/\(review)", as: other).status == .notFound)
            #expect(try await gateway.get("/reviews", as: other).data([Review].self).isEmpty)

            #expect(try await gateway.get("/wishlist", as: owner).data(Wishlist.self).itemCount == 1)
            #expect(try await gateway.get("/reviews/\(review)", as: owner).status == .ok)
        }
    }

    @Test func aLookalikeIsAStrangerToTheOwnersTickets() async throws {
        for (owner, other) in Self.lookalikes() {
            let ticket = try await gateway.post(
                "/support/tickets", as: owner, body: ["subject": "Owner's ticket", "message": "Only the owner may read this."]
            ).data(Ticket.self).id.lowercasedString
            #expect(try await gateway.patch("/support/tickets/\(ticket)", as: "agent-1", role: .agent, body: ["status": "RESOLVED"]).status == .ok)

            #expect(try await gateway.get("/support/tickets/\(ticket)", as: other).status == .notFound)
            #expect(try await gateway.get("/support/tickets", as: other).data(TicketController.Listing.self).tickets.isEmpty)
            #expect(try await gateway.post("/support/tickets/\(ticket)/messages", as: other, body: ["message": "Let me in"]).status == .notFound)
            #expect(try await gateway.post("/support/tickets/\(ticket)/rating", as: other, body: ["rating": 1]).status == .notFound)

            let ownTicket = try await gateway.get("/support/tickets/\(ticket)", as: owner).data(Ticket.self)
            #expect(ownTicket.messages?.count == 1 && ownTicket.rating == nil)
        }
    }

    @Test func aLookalikeIsAStrangerToTheOwnersExports() async throws {
        for (owner, other) in Self.lookalikes() {
            let export = try await gateway.post("/privacy/exports", as: owner).data(PrivacyRequest.self).id.lowercasedString

            #expect(try await gateway.get("/privacy/exports/\(export)", as: other).status == .notFound)
            #expect(try await gateway.get("/privacy/exports/\(export)/download", as: other).status == .notFound)
            #expect(try await gateway.get("/privacy/exports", as: other).data([PrivacyRequest].self).isEmpty)
        }
    }

    @Test func aLookalikeIsAStrangerToTheOwnersPoints() async throws {
        for (owner, other) in Self.lookalikes() {
            #expect(
                try await gateway.post(
                    "/loyalty/transactions", as: "admin-1", role: .admin,
                    body: ["userId": "\(owner)", "type": "EARN", "points": 70, "reason": "Welcome"]
                ).status == .created)

            #expect(try await gateway.get("/loyalty", as: other).data(Account.self).points == 0)
            #expect(try await gateway.get("/loyalty/transactions", as: other).data(LoyaltyController.History.self).transactions.isEmpty)

            #expect(try await gateway.get("/loyalty", as: owner).data(Account.self).points == 70)
        }
    }

    @Test(arguments: ["nul\u{0}sub", "cr\rsub", "with space", String(repeating: "a", count: 129), ""])
    func aSubNoAuthServiceIssuesIs401(sub: String) async throws {
        let token = try await TestEnvironment.token(sub)
        for path in ["/profile", "/wishlist", "/support/tickets", "/loyalty"] {
            let reply = try await gateway.get(path, as: nil, headers: [.authorization: "Bearer \(token)"])
            #expect(reply.status == .unauthorized, "\(path)")
            #expect(reply.errorCode == "UNAUTHORIZED", "\(path)")
        }
    }

    /// A `sub` ending in `:gen` names no other customer's cache entry or generation.
    @Test func aSubShapedLikeACacheKeyReachesOnlyItsOwnEntries() async throws {
        let victim = TestEnvironment.uniqueUser()
        #expect(try await gateway.post("/profile", as: victim, body: ["firstName": "Vera", "lastName": "Victim"]).status == .created)
        #expect(try await gateway.get("/profile", as: victim).data(Profile.self).firstName == "Vera")  // cached now
        for attacker in [victim + ":gen", victim + "%3Agen", "x:" + victim] {
            #expect(try await gateway.get("/profile", as: attacker).status == .notFound)
            #expect(try await gateway.post("/profile", as: attacker, body: ["firstName": "Mallory", "lastName": "M"]).status == .created)
            #expect(try await gateway.get("/profile", as: attacker).data(Profile.self).firstName == "Mallory")
        }
        #expect(try await gateway.get("/profile", as: victim).data(Profile.self).firstName == "Vera")
        #expect(try await gateway.get("/loyalty", as: victim + ":gen").data(Account.self).userId == victim + ":gen")
    }
}
