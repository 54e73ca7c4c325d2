import Auth
import Contracts
import Foundation
import HTTPKit
import PostgresNIO
import TestSupport
import Testing

@testable import support

/// Messages on a ticket move it as the contract says (CONTRACT §7).
@Suite(.needsTestServers) struct ConversationTests {
    /// A ticket's conversation: its owner speaks as a customer, `agent-1` with a staff role.
    struct Conversation {
        let api: API
        let user: String
        let id: String

        func say(_ text: String, as role: Role = .customer, isInternal: Bool? = nil) async throws -> Answer {
            var body: [String: JSONValue] = ["message": .string(text)]
            if let isInternal { body["isInternal"] = .bool(isInternal) }
            return try await api.post("/support/tickets/\(id)/messages", as: who(role), role: role, body: .object(body))
        }

        func ticket(as role: Role = .agent) async throws -> Ticket {
            try await api.get("/support/tickets/\(id)", as: who(role), role: role).data(Ticket.self)
        }

        func status(_ value: String) async throws {
            #expect(try await staffPatch(api, id, ["status": .string(value)]).status == .ok)
        }

        func who(_ role: Role) -> String { role == .customer ? user : "agent-1" }
    }

    func conversation(_ api: API) async throws -> Conversation {
        let user = TestEnvironment.uniqueUser()
        let id = try await openTicket(api, by: user)
        return Conversation(api: api, user: user, id: id)
    }

    /// The whole exchange, in order: an internal note, a customer's words, a staff reply, a
    /// question while waiting on the customer, the answer, resolution and a reopening message.
    func talkItThrough(_ c: Conversation) async throws {
        #expect(try await c.say("Check the courier first.", as: .agent, isInternal: true).status == .created)
        #expect(try await c.say("I am staff now", isInternal: true).status == .forbidden)
        #expect(try await c.say("Plain words", isInternal: false).status == .created)
        #expect(try await c.say("We are on it.", as: .agent).status == .created)
        try await c.status("WAITING_ON_CUSTOMER")
        #expect(try await c.say("Could you send a photo?", as: .admin).status == .created)
        #expect(try await c.say("Photo attached.").status == .created)
        try await c.status("RESOLVED")
        #expect(try await c.say("Still broken, sorry.").status == .created)
    }

    /// Internal notes never count as a response and never move the ticket.
    @Test func internalNotesNeverCountAsAResponse() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let c = try await conversation(api)
            let note = try await c.say("Check the courier first.", as: .agent, isInternal: true)
            #expect(note.status == .created)
            let message = try note.data(Message.self)
            #expect(message.isInternal == true && message.senderType == .agent)
            let ticket = try await c.ticket()
            #expect(ticket.status == .open && ticket.firstResponseAt == nil)
        }
    }

    @Test func customersMayNotWriteInternalNotes() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let c = try await conversation(api)
            let sneaky = try await c.say("I am staff now", isInternal: true)
            #expect(sneaky.status == .forbidden && sneaky.errorCode == "FORBIDDEN")
            #expect(try await c.say("Plain words", isInternal: false).status == .created)
        }
    }

    /// The first public staff reply: IN_PROGRESS, stamped once.
    @Test func theFirstPublicStaffReplyStartsWorkAndIsStampedOnce() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let c = try await conversation(api)
            let reply = try await c.say("We are on it.", as: .agent)
            #expect(reply.status == .created)
            #expect(try reply.data(Message.self).senderId == "agent-1")
            let ticket = try await c.ticket()
            let firstResponse = try #require(ticket.firstResponseAt)
            #expect(ticket.status == .inProgress)
            try await c.status("WAITING_ON_CUSTOMER")
            _ = try await c.say("Could you send a photo?", as: .admin)
            #expect(try await c.ticket().firstResponseAt == firstResponse)
        }
    }

    /// A customer's answer brings a ticket waiting on them back to the team.
    @Test func aCustomersAnswerBringsAWaitingTicketBack() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let c = try await conversation(api)
            _ = try await c.say("We are on it.", as: .agent)
            try await c.status("WAITING_ON_CUSTOMER")
            _ = try await c.say("Photo attached.")
            #expect(try await c.ticket().status == .inProgress)
        }
    }

    /// A customer's message on RESOLVED reopens it; the first response stays as it was.
    @Test func aCustomersMessageReopensAResolvedTicket() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let c = try await conversation(api)
            _ = try await c.say("We are on it.", as: .agent)
            let firstResponse = try #require(try await c.ticket().firstResponseAt)
            try await c.status("RESOLVED")
            #expect(try await c.ticket().resolvedAt != nil)
            _ = try await c.say("Still broken, sorry.")
            let ticket = try await c.ticket()
            #expect(ticket.status == .open && ticket.resolvedAt == nil && ticket.firstResponseAt == firstResponse)
        }
    }

    /// Customers never see internal notes; staff see all, oldest first.
    @Test func customersNeverSeeInternalNotes() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let c = try await conversation(api)
            try await talkItThrough(c)
            let customerView = (try await c.ticket(as: .customer).messages ?? []).map(\.message)
            #expect(
                customerView == [
                    "The left drawer runner snapped off.", "Plain words", "We are on it.", "Could you send a photo?",
                    "Photo attached.", "Still broken, sorry.",
                ])
            let staffView = (try await c.ticket().messages ?? []).map(\.message)
            #expect(staffView.count == 7 && staffView[1] == "Check the courier first.")
        }
    }

    /// Someone else's ticket, or an unknown one, is a 404.
    @Test func messagesToAnotherCustomersOrAnUnknownTicketAreNotFound() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let c = try await conversation(api)
            let stranger = try await c.api.post("/support/tickets/\(c.id)/messages", as: TestEnvironment.uniqueUser(), body: ["message": "hello"])
            #expect(stranger.status == .notFound)
            let unknown = try await c.api.post("/support/tickets/\(UUID())/messages", as: "agent-1", role: .agent, body: ["message": "hi"])
            #expect(unknown.status == .notFound)
        }
    }

    @Test func anEmptyMessageIsRefused() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let c = try await conversation(api)
            #expect(try await c.say("").errorDetails == ["message": "message must not be empty"])
        }
    }

    /// CLOSED is final: nothing more from the customer or staff.
    @Test func aClosedTicketTakesNoMoreMessages() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let c = try await conversation(api)
            try await c.status("CLOSED")
            for role in [Role.customer, .agent] {
                let refused = try await c.say("Anyone there?", as: role)
                #expect(refused.status == .conflict && refused.errorCode == "INVALID_STATE")
            }
        }
    }

    /// Status changes made by messages were published like the ones made by staff.
    @Test func statusChangesMadeByMessagesArePublished() async throws {
        try await withTestService(SupportService.self) { api, app in
            let c = try await conversation(api)
            try await talkItThrough(c)
            try await c.status("CLOSED")
            #expect(try await c.say("Anyone there?").status == .conflict)
            let statuses = try await app.runtime.database.query(
                """
                SELECT value::jsonb #>> '{payload,status}' FROM outbox WHERE topic = 'customer.support_ticket.updated' ORDER BY seq
                """
            ).values(String.self)
            #expect(statuses == ["IN_PROGRESS", "WAITING_ON_CUSTOMER", "IN_PROGRESS", "RESOLVED", "OPEN", "CLOSED"])
        }
    }
}

/// Rating is the owner's, once, after resolution.
@Suite(.needsTestServers) struct TicketRatingTests {
    func rate(_ api: API, _ id: String, _ body: JSONValue, as user: String) async throws -> Answer {
        try await api.post("/support/tickets/\(id)/rating", as: user, body: body)
    }

    /// A customer's ticket, resolved by staff.
    func resolvedTicket(_ api: API, by user: String) async throws -> String {
        let id = try await openTicket(api, by: user)
        #expect(try await staffPatch(api, id, ["status": "RESOLVED"]).status == .ok)
        return id
    }

    @Test func aTicketCannotBeRatedBeforeResolution() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let id = try await openTicket(api, by: user)
            let early = try await rate(api, id, ["rating": 5], as: user)
            #expect(early.status == .conflict && early.errorCode == "INVALID_STATE")
        }
    }

    @Test func anotherCustomersOrAnUnknownTicketIsNotFound() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let id = try await resolvedTicket(api, by: user)
            #expect(try await rate(api, id, ["rating": 5], as: TestEnvironment.uniqueUser()).status == .notFound)
            #expect(try await rate(api, UUID().uuidString, ["rating": 5], as: user).status == .notFound)
        }
    }

    @Test func invalidRatingsAreEachNamed() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let id = try await resolvedTicket(api, by: user)
            let invalid = try await rate(api, id, ["rating": 0, "comment": .string(String(repeating: "c", count: 1001))], as: user)
            #expect(invalid.errorDetails == ["rating": "rating must be between 1 and 5", "comment": "comment must be at most 1000 characters"])
            #expect(try await rate(api, id, [:], as: user).errorDetails == ["rating": "rating is required"])
        }
    }

    @Test func theOwnerRatesAResolvedTicketAndItShowsTheRating() async throws {
        try await withTestService(SupportService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            let id = try await resolvedTicket(api, by: user)
            let rated = try await rate(api, id, ["rating": 4, "comment": "Quick and friendly"], as: user)
            #expect(rated.status == .created)
            let rating = try rated.data(Ticket.Rating.self)
            #expect(rating.rating == 4 && rating.comment == "Quick and friendly")
            let shown = try await api.get("/support/tickets/\(id)", as: user).data(Ticket.self).rating
            #expect(shown?.rating == 4 && shown?.comment == "Quick and friendly")
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM ticket_ratings") == 1)
        }
    }

    @Test func aTicketIsRatedOnce() async throws {
        try await withTestService(SupportService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            let id = try await resolvedTicket(api, by: user)
            #expect(try await rate(api, id, ["rating": 4, "comment": "Quick and friendly"], as: user).status == .created)
            let twice = try await rate(api, id, ["rating": 1], as: user)
            #expect(twice.status == .conflict && twice.errorCode == "CONFLICT")
            #expect(try await api.get("/support/tickets/\(id)", as: user).data(Ticket.self).rating?.rating == 4)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM ticket_ratings") == 1)
        }
    }

    /// Closed tickets can be rated too (one closed straight away), comment optional.
    @Test func aClosedTicketCanBeRatedWithoutAComment() async throws {
        try await withTestService(SupportService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            let id = try await openTicket(api, by: user)
            #expect(try await staffPatch(api, id, ["status": "CLOSED"]).status == .ok)
            let closedRating = try await rate(api, id, ["rating": 2, "comment": nil], as: user)
            #expect(closedRating.status == .created)
            #expect(try closedRating.data(Ticket.Rating.self).comment == nil)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM ticket_ratings") == 1)
        }
    }
}

/// The rules of `TicketState`, without a server.
@Suite struct TicketStateTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    var earlier: Date { now.addingTimeInterval(-60) }

    @Test func aStaffReplyAnswersAnOpenTicketAndAnInternalNoteChangesNothing() throws {
        let open = TicketState(status: .open)
        #expect(try open.afterMessage(fromStaff: true, isInternal: true, at: now) == open)
        #expect(try open.afterMessage(fromStaff: true, isInternal: false, at: now) == TicketState(status: .inProgress, firstResponseAt: now))
        let answered = TicketState(status: .waitingOnCustomer, firstResponseAt: earlier)
        #expect(try answered.afterMessage(fromStaff: true, isInternal: false, at: now) == answered)
    }

    @Test func aCustomersMessageBringsBackAWaitingTicketAndReopensAResolvedOne() throws {
        let answered = TicketState(status: .waitingOnCustomer, firstResponseAt: earlier)
        #expect(try answered.afterMessage(fromStaff: false, isInternal: false, at: now).status == .inProgress)
        let resolved = TicketState(status: .resolved, firstResponseAt: earlier, resolvedAt: earlier)
        #expect(try resolved.afterMessage(fromStaff: false, isInternal: false, at: now) == TicketState(status: .open, firstResponseAt: earlier))
    }

    @Test func resolvingAndClosingStampTheirTimes() throws {
        let resolved = TicketState(status: .resolved, firstResponseAt: earlier, resolvedAt: earlier)
        #expect(try resolved.changed(to: .resolved, at: now) == resolved)
        #expect(
            try resolved.changed(to: .closed, at: now)
                == TicketState(status: .closed, firstResponseAt: earlier, resolvedAt: earlier, closedAt: now))
        #expect(try TicketState(status: .open).changed(to: .resolved, at: now).resolvedAt == now)
    }

    @Test func aClosedTicketIsFinal() throws {
        let closed = TicketState(status: .closed, closedAt: earlier)
        #expect(throws: AppError.invalidState("The ticket is closed")) { try closed.changed(to: .open, at: now) }
        #expect(throws: AppError.invalidState("The ticket is closed")) { try closed.afterMessage(fromStaff: true, isInternal: true, at: now) }
    }
}
