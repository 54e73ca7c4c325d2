import Contracts
import Foundation
import HTTPTypes
import TestSupport
import Testing

@testable import profiles
@testable import support

/// Support with profiles, through the gateway and the stack's broker: a ticket's life shows in
/// the portal's support counts and the dashboard, and the anonymisation job keeps its hands off
/// a customer whose ticket is open.
@Suite(.needsStack) struct SupportAcrossContextsTests {
    private static func portal(of user: String) async throws -> PortalSupportSummary {
        try await gateway.get("/portal/support", as: user).data(PortalSupportSummary.self)
    }

    /// The portal's open, resolved, closed and total counts.
    static func counts(of user: String) async throws -> [Int] {
        let summary = try await Self.portal(of: user)
        return [summary.open, summary.resolved, summary.closed, summary.total]
    }

    /// The dashboard's support summary.
    static func dashboardSupport(of user: String) async throws -> Dashboard.Support {
        try await gateway.get("/dashboard", as: user).data(Dashboard.self).support
    }

    /// Alan Turing in profiles, with an open ticket that the portal counts.
    static func openTicket(for user: String) async throws -> Ticket {
        #expect(try await gateway.post("/profile", as: user, body: ["firstName": "Alan", "lastName": "Turing"]).status == .created)
        let created = try await gateway.post(
            "/support/tickets", as: user, body: ["subject": "Hinge squeaks", "message": "The kitchen door hinge squeaks."])
        #expect(created.status == .created)
        let ticket = try created.data(Ticket.self)
        #expect(try await eventually(timeout: .seconds(10)) { try await Self.counts(of: user) == [1, 0, 0, 1] })
        return ticket
    }

    @Test func anOpenTicketShowsInThePortalsCountsAndRecentTickets() async throws {
        let user = TestEnvironment.uniqueUser()
        let ticket = try await Self.openTicket(for: user)
        let recent = try await Self.portal(of: user).recent.first
        #expect(recent?.ticketRef == ticket.ticketRef && recent?.subject == "Hinge squeaks" && recent?.status == .open)
    }

    /// The anonymisation job skips a customer with an open ticket, however inactive.
    @Test func theAnonymisationJobSkipsACustomerWithAnOpenTicket() async throws {
        let user = TestEnvironment.uniqueUser()
        _ = try await Self.openTicket(for: user)
        let (status, stderr) = try await runAnonymisationJob(afterAging: user, projections: [("support_tickets", "updated_at")])
        #expect(status == 0, "\(stderr)")
        #expect(try await gateway.get("/profile", as: user).data(Profile.self).firstName == "Alan")
    }

    /// An agent answers (the customer is now waited on), resolves; the customer rates. One
    /// ticket's life, observed in order on the dashboard and in the portal.
    @Test func theAgentsAnswerAndTheResolutionReachTheDashboardAndThePortal() async throws {
        let user = TestEnvironment.uniqueUser()
        let id = try await Self.openTicket(for: user).id.lowercasedString
        let answered = try await gateway.post(
            "/support/tickets/\(id)/messages", as: "agent-1", role: .agent, body: ["message": "Try a drop of oil."])
        #expect(answered.status == .created)
        let waiting = try await gateway.patch("/support/tickets/\(id)", as: "agent-1", role: .agent, body: ["status": "WAITING_ON_CUSTOMER"])
        #expect(waiting.status == .ok)
        #expect(
            try await eventually(timeout: .seconds(10)) {
                let summary = try await Self.dashboardSupport(of: user)
                return summary.open == 1 && summary.awaitingReply == 1
            })
        #expect(try await gateway.patch("/support/tickets/\(id)", as: "admin-1", role: .admin, body: ["status": "RESOLVED"]).status == .ok)
        #expect(try await gateway.post("/support/tickets/\(id)/rating", as: user, body: ["rating": 5, "comment": "Fixed it"]).status == .created)
        #expect(try await eventually(timeout: .seconds(10)) { try await Self.counts(of: user) == [0, 1, 0, 1] })
        let summary = try await Self.dashboardSupport(of: user)
        #expect(summary.open == 0 && summary.awaitingReply == 0)
    }
}

/// `GET /portal/support` (production's `PortalSupport` is Encodable only; it does not show
/// `awaitingReply`).
private struct PortalSupportSummary: Decodable {
    let open: Int
    let resolved: Int
    let closed: Int
    let total: Int
    let recent: [PortalSupport.Ticket]
}
