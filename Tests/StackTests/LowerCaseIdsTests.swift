import Auth
import Foundation
import HTTPKit
import NIOHTTP1
import PostgresNIO
import Testing
import TestSupport

/// CONTRACT §1: ids are written in lower case everywhere, in responses and in the events
/// every context publishes, though Swift writes a UUID in upper case by default.
@Suite struct LowerCaseIdsTests {
    /// The UUIDs in `text` with at least one upper-case hex letter.
    static func upperCaseIds(in text: String) -> [String] {
        text.matches(of: #/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/#)
            .map { String(text[$0.range]) }.filter { $0 != $0.lowercased() }
    }

    @Test func idsInResponsesAndEventsOfEveryContextAreLowerCase() async throws {
        let user = TestEnvironment.uniqueUser(), other = TestEnvironment.uniqueUser()
        let product = "oak-\(UUID().lowercasedString.prefix(8))"
        var replies: [Gateway.Reply] = []
        func call(_ method: HTTPMethod, _ path: String, as caller: String = user, role: Role = .customer, json: String? = nil) async throws -> [String: Any] {
            let reply = try await send(method, path, as: caller, role: role, json: json)
            #expect(reply.status < 300, "\(method) \(path): \(reply.status) \(reply.body)")
            replies.append(reply)
            return try data(reply)
        }

        _ = try await call(.POST, "/profile", json: #"{"firstName":"Ida","lastName":"Case"}"#)
        let address = try await call(.POST, "/addresses", json: #"{"line1":"1 Street","city":"London","postcode":"EH1 1YZ"}"#)
        _ = try await call(.GET, "/addresses")
        _ = try await call(.POST, "/wishlist/items", json: #"{"productId":"\#(product)","category":"KITCHEN"}"#)
        _ = try await call(.GET, "/wishlist")
        let review = try await call(.POST, "/reviews", json: #"{"productId":"\#(product)","rating":4,"title":"Solid","body":"Solid oak, well made."}"#)
        let reviewId = try #require(review["id"] as? String)
        _ = try await call(.PATCH, "/reviews/\(reviewId)/status", as: "admin-1", role: .admin, json: #"{"status":"APPROVED"}"#)
        let ticket = try await call(.POST, "/support/tickets", json: #"{"subject":"Hinge squeaks","message":"The kitchen door hinge squeaks."}"#)
        let ticketId = try #require(ticket["id"] as? String)
        _ = try await call(.POST, "/support/tickets/\(ticketId)/messages", as: "agent-1", role: .agent, json: #"{"message":"On it."}"#)
        _ = try await call(.GET, "/support/tickets/\(ticketId)")
        _ = try await call(.POST, "/loyalty/transactions", as: "admin-1", role: .admin,
                           json: #"{"userId":"\#(user)","type":"EARN","points":100,"reason":"Welcome"}"#)
        _ = try await call(.GET, "/loyalty/transactions")
        let code = try #require(try await call(.POST, "/referrals/generate")["code"] as? String)
        _ = try await call(.POST, "/referrals/apply", as: other, json: #"{"code":"\#(code)"}"#)
        _ = try await call(.GET, "/referrals")
        #expect(try await eventually(timeout: .seconds(10)) {
            (try await data(send(.GET, "/portal/support", as: user))["recent"] as? [[String: Any]])?.isEmpty == false
        })
        _ = try await call(.GET, "/portal/support")

        // Every response carries ids, and none is written in upper case, not even the request id.
        #expect((address["id"] as? String)?.isEmpty == false)
        for reply in replies {
            #expect(Self.upperCaseIds(in: reply.body).isEmpty, "\(reply.body)")
            #expect(Self.upperCaseIds(in: reply.headers["X-Request-ID"].joined()).isEmpty)
        }
        // The events each context wrote for these customers: envelope ids, correlation ids and
        // payload ids alike.
        for schema in ["profiles", "engagement", "support", "loyalty"] {
            let events = try await withDatabase(schema: schema) { database in
                try await database.query("SELECT value FROM outbox WHERE key IN (\(user), \(other))").values(String.self)
            }
            #expect(!events.isEmpty, "no events from \(schema)")
            for event in events { #expect(Self.upperCaseIds(in: event).isEmpty, "\(schema): \(event)") }
        }
    }
}
