import Auth
import Contracts
import Foundation
import HTTPKit
import Hummingbird
import PostgresNIO
import TestSupport
import Testing

@testable import engagement
@testable import loyalty
@testable import profiles
@testable import support

/// CONTRACT §1: ids are written in lower case everywhere, in responses and in the events
/// every context publishes, though Swift writes a UUID in upper case by default.
@Suite(.needsStack) struct LowerCaseIdsTests {
    /// The UUIDs in `text` with at least one upper-case hex letter.
    static func upperCaseIds(in text: String) -> [String] {
        text.matches(of: #/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/#)
            .map { String(text[$0.range]) }.filter { $0 != $0.lowercased() }
    }

    /// `GET /portal/support`, as far as these tests read it (`PortalSupport` is Encodable only).
    private struct SupportSummary: Decodable {
        let recent: [PortalSupport.Ticket]
    }

    /// Two customers that called every context (a profile and an address, a wishlist item and a
    /// review, a ticket with an agent's reply, points, a referral code one gave the other), and
    /// every answer they had.
    static func customersWhoCalledEveryContext() async throws -> (user: String, other: String, replies: [Answer]) {
        let user = TestEnvironment.uniqueUser()
        let other = TestEnvironment.uniqueUser()
        let product = "oak-\(UUID().lowercasedString.prefix(8))"
        var replies: [Answer] = []
        func call(
            _ method: HTTPRequest.Method, _ path: String, as caller: String = user, role: Role = .customer, body: JSONValue? = nil
        )
            async throws -> Answer
        {
            let reply: Answer
            if let body {
                reply = try await gateway.send(method, path, as: caller, role: role, body: body)
            } else {
                reply = try await gateway.send(method, path, as: caller, role: role, json: nil)
            }
            #expect(reply.status.code < 300, "\(method) \(path): \(reply)")
            replies.append(reply)
            return reply
        }

        _ = try await call(.post, "/profile", body: ["firstName": "Ida", "lastName": "Case"])
        let address = try await call(.post, "/addresses", body: ["line1": "1 Street", "city": "London", "postcode": "EH1 1YZ"])
        // Every response carries ids: the address's, in lower case.
        let addressId = try address.data(Address.self).id.lowercasedString
        #expect(address.text.contains(addressId), "\(address)")
        _ = try await call(.get, "/addresses")
        _ = try await call(.post, "/wishlist/items", body: ["productId": "\(product)", "category": "KITCHEN"])
        _ = try await call(.get, "/wishlist")
        let review = try await call(
            .post, "/reviews", body: ["productId": "\(product)", "rating": 4, "title": "Solid", "body": "Solid oak, well made."]
        ).data(Review.self).id.lowercasedString
        _ = try await call(.patch, "/reviews/\(review)/status", as: "admin-1", role: .admin, body: ["status": "APPROVED"])
        let ticket = try await call(.post, "/support/tickets", body: ["subject": "Hinge squeaks", "message": "The kitchen door hinge squeaks."])
            .data(Ticket.self).id.lowercasedString
        _ = try await call(.post, "/support/tickets/\(ticket)/messages", as: "agent-1", role: .agent, body: ["message": "On it."])
        _ = try await call(.get, "/support/tickets/\(ticket)")
        _ = try await call(
            .post, "/loyalty/transactions", as: "admin-1", role: .admin,
            body: ["userId": "\(user)", "type": "EARN", "points": 100, "reason": "Welcome"])
        _ = try await call(.get, "/loyalty/transactions")
        let code = try await call(.post, "/referrals/generate").data(ReferralController.Generated.self).code
        _ = try await call(.post, "/referrals/apply", as: other, body: ["code": "\(code)"])
        _ = try await call(.get, "/referrals")
        #expect(
            try await eventually(timeout: .seconds(10)) {
                try await gateway.get("/portal/support", as: user).data(SupportSummary.self).recent.isEmpty == false
            })
        _ = try await call(.get, "/portal/support")
        return (user, other, replies)
    }

    /// Every response carries ids, and none is written in upper case, not even the request id.
    @Test func idsInEveryContextsResponsesAreLowerCase() async throws {
        let (_, _, replies) = try await Self.customersWhoCalledEveryContext()
        for reply in replies {
            #expect(Self.upperCaseIds(in: reply.text).isEmpty, "\(reply.text)")
            #expect(Self.upperCaseIds(in: reply.headers[values: .requestId].joined()).isEmpty)
        }
    }

    /// The events each context wrote for these customers: envelope ids, correlation ids and
    /// payload ids alike.
    @Test func idsInEveryContextsEventsAreLowerCase() async throws {
        let (user, other, _) = try await Self.customersWhoCalledEveryContext()
        for schema in ["profiles", "engagement", "support", "loyalty"] {
            let events = try await withDatabase(schema: schema) { database in
                try await database.query("SELECT value FROM outbox WHERE key IN (\(user), \(other))").values(String.self)
            }
            #expect(!events.isEmpty, "no events from \(schema)")
            for event in events { #expect(Self.upperCaseIds(in: event).isEmpty, "\(schema): \(event)") }
        }
    }
}
