import Auth
import Foundation
import HTTPKit
import HummingbirdTesting
import PostgresNIO
@testable import support
import Testing
import TestSupport

@Suite struct ConversationTests {
    @Test func messagesMoveTheTicketAsTheContractSays() async throws {
        try await withTestService(SupportService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            let id = try await openTicket(client, by: user)
            func say(_ text: String, as role: Role = .customer, isInternal: Bool? = nil) async throws -> Answer {
                let flag = isInternal.map { #","isInternal":\#($0)"# } ?? ""
                return try await call(client, .post, "/support/tickets/\(id)/messages", as: role == .customer ? user : "agent-1", role: role,
                                      body: #"{"message":"\#(text)"\#(flag)}"#)
            }
            func ticket(as role: Role = .agent) async throws -> [String: Any] {
                try await call(client, .get, "/support/tickets/\(id)", as: role == .customer ? user : "agent-1", role: role).data
            }
            func status(_ value: String) async throws {
                #expect(try await call(client, .patch, "/support/tickets/\(id)", as: "agent-1", role: .agent, body: #"{"status":"\#(value)"}"#).status == .ok)
            }

            // Internal notes never count as a response and never move the ticket.
            let note = try await say("Check the courier first.", as: .agent, isInternal: true)
            #expect(note.status == .created && note.data["isInternal"] as? Bool == true && note.data["senderType"] as? String == "AGENT")
            var t = try await ticket()
            #expect(t["status"] as? String == "OPEN" && t["firstResponseAt"] is NSNull)
            // A customer may not write one.
            let sneaky = try await say("I am staff now", isInternal: true)
            #expect(sneaky.status == .forbidden && sneaky.errorCode == "FORBIDDEN")
            #expect(try await say("Plain words", isInternal: false).status == .created)

            // The first public staff reply: IN_PROGRESS, stamped once.
            let reply = try await say("We are on it.", as: .agent)
            #expect(reply.status == .created && reply.data["senderId"] as? String == "agent-1")
            t = try await ticket()
            let firstResponse = try #require(t["firstResponseAt"] as? String)
            #expect(t["status"] as? String == "IN_PROGRESS")
            try await status("WAITING_ON_CUSTOMER")
            _ = try await say("Could you send a photo?", as: .admin)
            #expect(try await ticket()["firstResponseAt"] as? String == firstResponse)

            // A customer's answer brings it back to the team.
            _ = try await say("Photo attached.")
            #expect(try await ticket()["status"] as? String == "IN_PROGRESS")
            // A customer's message on RESOLVED reopens it.
            try await status("RESOLVED")
            #expect(try await ticket()["resolvedAt"] is String)
            _ = try await say("Still broken, sorry.")
            t = try await ticket()
            #expect(t["status"] as? String == "OPEN" && t["resolvedAt"] is NSNull && t["firstResponseAt"] as? String == firstResponse)

            // Customers never see internal notes; staff see all, oldest first.
            let customerView = (try await ticket(as: .customer)["messages"] as? [[String: Any]] ?? []).map { $0["message"] as? String }
            #expect(customerView == ["The left drawer runner snapped off.", "Plain words", "We are on it.", "Could you send a photo?",
                                     "Photo attached.", "Still broken, sorry."])
            let staffView = (try await ticket()["messages"] as? [[String: Any]] ?? []).map { $0["message"] as? String }
            #expect(staffView.count == 7 && staffView[1] == "Check the courier first.")

            // Someone else's ticket is a 404; CLOSED is final.
            let stranger = try await call(client, .post, "/support/tickets/\(id)/messages", as: TestEnvironment.uniqueUser(), body: #"{"message":"hello"}"#)
            #expect(stranger.status == .notFound)
            #expect(try await call(client, .post, "/support/tickets/\(UUID())/messages", as: "agent-1", role: .agent, body: #"{"message":"hi"}"#).status == .notFound)
            let empty = try await say("")
            #expect(empty.errorDetails == ["message": "message must not be empty"])
            try await status("CLOSED")
            for role in [Role.customer, .agent] {
                let refused = try await say("Anyone there?", as: role)
                #expect(refused.status == .conflict && refused.errorCode == "INVALID_STATE")
            }
            // Status changes made by messages were published like the ones made by staff.
            let statuses = try await app.runtime.database.query("""
                SELECT value::jsonb #>> '{payload,status}' FROM outbox WHERE topic = 'customer.support_ticket.updated' ORDER BY seq
                """).values(String.self)
            #expect(statuses == ["IN_PROGRESS", "WAITING_ON_CUSTOMER", "IN_PROGRESS", "RESOLVED", "OPEN", "CLOSED"])
        }
    }

    @Test func ratingIsTheOwnersOnceAfterResolution() async throws {
        try await withTestService(SupportService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            let id = try await openTicket(client, by: user)
            func rate(_ body: String, as who: String? = nil) async throws -> Answer {
                try await call(client, .post, "/support/tickets/\(id)/rating", as: who ?? user, body: body)
            }
            let early = try await rate(#"{"rating":5}"#)
            #expect(early.status == .conflict && early.errorCode == "INVALID_STATE")
            #expect(try await call(client, .patch, "/support/tickets/\(id)", as: "agent-1", role: .agent, body: #"{"status":"RESOLVED"}"#).status == .ok)
            #expect(try await rate(#"{"rating":5}"#, as: TestEnvironment.uniqueUser()).status == .notFound)
            #expect(try await call(client, .post, "/support/tickets/\(UUID())/rating", as: user, body: #"{"rating":5}"#).status == .notFound)
            let invalid = try await rate(#"{"rating":0,"comment":"\#(String(repeating: "c", count: 1001))"}"#)
            #expect(invalid.errorDetails == ["rating": "rating must be between 1 and 5", "comment": "comment must be at most 1000 characters"])
            #expect(try await rate("{}").errorDetails == ["rating": "rating is required"])

            let rated = try await rate(#"{"rating":4,"comment":"Quick and friendly"}"#)
            #expect(rated.status == .created && rated.data["rating"] as? Int == 4 && rated.data["comment"] as? String == "Quick and friendly")
            #expect(rated.data["ratedAt"] is String)
            let twice = try await rate(#"{"rating":1}"#)
            #expect(twice.status == .conflict && twice.errorCode == "CONFLICT")
            let shown = try await call(client, .get, "/support/tickets/\(id)", as: user).data["rating"] as? [String: Any]
            #expect(shown?["rating"] as? Int == 4 && shown?["comment"] as? String == "Quick and friendly")
            // Closed tickets can be rated too (a fresh one, closed straight away), comment optional.
            let other = try await openTicket(client, by: user)
            #expect(try await call(client, .patch, "/support/tickets/\(other)", as: "agent-1", role: .agent, body: #"{"status":"CLOSED"}"#).status == .ok)
            let closedRating = try await call(client, .post, "/support/tickets/\(other)/rating", as: user, body: #"{"rating":2,"comment":null}"#)
            #expect(closedRating.status == .created && closedRating.data["comment"] is NSNull)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM ticket_ratings") == 2)
        }
    }

    @Test func ticketStateRules() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000), earlier = now.addingTimeInterval(-60)
        let open = TicketState(status: .open)
        #expect(try open.afterMessage(fromStaff: true, isInternal: true, at: now) == open)
        #expect(try open.afterMessage(fromStaff: true, isInternal: false, at: now) == TicketState(status: .inProgress, firstResponseAt: now))
        let answered = TicketState(status: .waitingOnCustomer, firstResponseAt: earlier)
        #expect(try answered.afterMessage(fromStaff: true, isInternal: false, at: now) == answered)
        #expect(try answered.afterMessage(fromStaff: false, isInternal: false, at: now).status == .inProgress)
        let resolved = TicketState(status: .resolved, firstResponseAt: earlier, resolvedAt: earlier)
        #expect(try resolved.afterMessage(fromStaff: false, isInternal: false, at: now) == TicketState(status: .open, firstResponseAt: earlier))
        #expect(try resolved.changed(to: .resolved, at: now) == resolved)
        #expect(try resolved.changed(to: .closed, at: now) == TicketState(status: .closed, firstResponseAt: earlier, resolvedAt: earlier, closedAt: now))
        #expect(try open.changed(to: .resolved, at: now).resolvedAt == now)
        let closed = TicketState(status: .closed, closedAt: earlier)
        #expect(throws: AppError.invalidState("The ticket is closed")) { try closed.changed(to: .open, at: now) }
        #expect(throws: AppError.invalidState("The ticket is closed")) { try closed.afterMessage(fromStaff: true, isInternal: true, at: now) }
    }
}
