import Foundation
import NIOHTTP1
import Testing
import TestSupport

/// Support with profiles, through the gateway and the stack's broker: a ticket's life shows in
/// the portal's support counts and the dashboard, and the anonymisation job keeps its hands off
/// a customer whose ticket is open.
@Suite struct SupportAcrossContextsTests {
    @Test func aTicketsLifeShowsInThePortal() async throws {
        let user = TestEnvironment.uniqueUser()
        #expect(try await send(.POST, "/profile", as: user, json: #"{"firstName":"Alan","lastName":"Turing"}"#).status == 201)
        let created = try await send(.POST, "/support/tickets", as: user, json: #"{"subject":"Hinge squeaks","message":"The kitchen door hinge squeaks."}"#)
        #expect(created.status == 201)
        let id = try #require(try data(created)["id"] as? String)
        let ref = try data(created)["ticketRef"] as? String

        @Sendable func portal() async throws -> [String: Any] { try data(await send(.GET, "/portal/support", as: user)) }
        @Sendable func counts() async throws -> [Int?] {
            let p = try await portal()
            return ["open", "resolved", "closed", "total"].map { p[$0] as? Int }
        }
        #expect(try await eventually(timeout: .seconds(10)) { try await counts() == [1, 0, 0, 1] })
        let recent = (try await portal()["recent"] as? [[String: Any]])?.first
        #expect(recent?["ticketRef"] as? String == ref && recent?["subject"] as? String == "Hinge squeaks" && recent?["status"] as? String == "OPEN")

        // The anonymisation job skips a customer with an open ticket, however inactive.
        let (status, stderr) = try await runAnonymisationJob(afterAging: user, projections: [("support_tickets", "updated_at")])
        #expect(status == 0, "\(stderr)")
        #expect(try data(await send(.GET, "/profile", as: user))["firstName"] as? String == "Alan")

        // An agent answers (the customer is now waited on), resolves; the customer rates.
        #expect(try await send(.POST, "/support/tickets/\(id)/messages", as: "agent-1", role: .agent, json: #"{"message":"Try a drop of oil."}"#).status == 201)
        #expect(try await send(.PATCH, "/support/tickets/\(id)", as: "agent-1", role: .agent, json: #"{"status":"WAITING_ON_CUSTOMER"}"#).status == 200)
        #expect(try await eventually(timeout: .seconds(10)) {
            let support = try data(await send(.GET, "/dashboard", as: user))["support"] as? [String: Any]
            return support?["open"] as? Int == 1 && support?["awaitingReply"] as? Int == 1
        })
        #expect(try await send(.PATCH, "/support/tickets/\(id)", as: "admin-1", role: .admin, json: #"{"status":"RESOLVED"}"#).status == 200)
        #expect(try await send(.POST, "/support/tickets/\(id)/rating", as: user, json: #"{"rating":5,"comment":"Fixed it"}"#).status == 201)
        #expect(try await eventually(timeout: .seconds(10)) { try await counts() == [0, 1, 0, 1] })
        let support = try data(await send(.GET, "/dashboard", as: user))["support"] as? [String: Any]
        #expect(support?["open"] as? Int == 0 && support?["awaitingReply"] as? Int == 0)
    }
}
