import Auth
import Contracts
import Foundation
import PostgresNIO
import Synchronization
import TestSupport
import Testing

@testable import support

/// A ticket opened through HTTP; returns its id (lower-case, as the API writes it).
func openTicket(
    _ api: API, by user: String, subject: String = "Drawer runner broken", extra: [String: JSONValue] = [:]
) async throws -> String {
    var body: [String: JSONValue] = ["subject": .string(subject), "message": "The left drawer runner snapped off."]
    body.merge(extra) { $1 }
    let created = try await api.post("/support/tickets", as: user, body: .object(body))
    #expect(created.status == .created)
    return try created.data(Ticket.self).id.lowercasedString
}

/// A staff change to a ticket (`agent-1` unless `role` says admin).
func staffPatch(_ api: API, _ id: String, _ body: JSONValue, role: Role = .agent) async throws -> Answer {
    try await api.patch("/support/tickets/\(id)", as: role == .admin ? "admin-1" : "agent-1", role: role, body: body)
}

/// A ticket as staff see it (every message, internal notes too).
func staffView(_ api: API, _ id: String) async throws -> Ticket {
    try await api.get("/support/tickets/\(id)", as: "agent-1", role: .agent).data(Ticket.self)
}

@Suite(.needsTestServers) struct TicketTests {
    /// The ticket of `openedWithDefaults`: only a subject (with spaces around it) and a message.
    func openWithDefaults(_ api: API, by user: String) async throws -> Answer {
        try await api.post(
            "/support/tickets", as: user,
            body: [
                "subject": "  Where is my order? ", "message": "Ordered two weeks ago, nothing yet.",
            ])
    }

    @Test func ticketRoutesNeedAToken() async throws {
        try await withTestService(SupportService.self) { api, _ in
            #expect(try await api.post("/support/tickets", as: nil, body: [:]).status == .unauthorized)
            #expect(try await api.get("/support/tickets", as: nil).status == .unauthorized)
            let id = try await openTicket(api, by: TestEnvironment.uniqueUser())
            #expect(try await api.patch("/support/tickets/\(id)", as: nil, body: [:]).status == .unauthorized)
        }
    }

    @Test func aTicketOpensWithDefaultsATrimmedSubjectAndNoMessagesInline() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let created = try await openWithDefaults(api, by: user)
            #expect(created.status == .created)
            let ticket = try created.data(Ticket.self)
            #expect(ticket.subject == "Where is my order?" && ticket.userId == user)
            #expect(ticket.category == .general && ticket.priority == .medium && ticket.status == .open)
            #expect(ticket.ticketRef.wholeMatch(of: /TKT-[A-Z0-9]{8}/) != nil)
            // The unset fields are there, as null; `messages` is only on the single view.
            let object = try created.data([String: JSONValue].self)
            for field in ["assignedTo", "orderId", "firstResponseAt", "resolvedAt", "closedAt", "rating"] {
                #expect(object[field] == .null, "\(field)")
            }
            #expect(object["messages"] == nil)
        }
    }

    @Test func categoryPriorityAndOrderAreTakenAsSent() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let full = try await api.post(
                "/support/tickets", as: TestEnvironment.uniqueUser(),
                body: [
                    "subject": "Refund please", "message": "The wardrobe arrived damaged.", "category": "REFUND", "priority": "HIGH",
                    "orderId": "order-9",
                ])
            let ticket = try full.data(Ticket.self)
            #expect(ticket.category == .refund && ticket.priority == .high && ticket.orderId == "order-9")
        }
    }

    @Test func theSingleViewCarriesTheFirstMessage() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let id = try await openWithDefaults(api, by: user).data(Ticket.self).id
            let one = try await api.get("/support/tickets/\(id.lowercasedString)", as: user)
            #expect(one.status == .ok)
            let ticket = try one.data(Ticket.self)
            #expect(ticket.id == id)
            let messages = ticket.messages ?? []
            let first = try #require(messages.first)
            #expect(messages.count == 1 && first.senderType == .customer && first.senderId == user)
            #expect(first.message == "Ordered two weeks ago, nothing yet." && first.isInternal == false)
            #expect(first.ticketId == id)
        }
    }

    /// Another customer's ticket, an unknown or malformed id: 404. Staff see any ticket.
    @Test func anotherCustomersOrAnUnknownTicketIsNotFound() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let id = try await openTicket(api, by: user)
            #expect(try await api.get("/support/tickets/\(id)", as: TestEnvironment.uniqueUser()).status == .notFound)
            #expect(try await api.get("/support/tickets/\(UUID())", as: user).status == .notFound)
            #expect(try await api.get("/support/tickets/nope", as: user).errorCode == "NOT_FOUND")
            #expect(try await api.get("/support/tickets/\(id.lowercased())", as: "agent-1", role: .agent).status == .ok)
        }
    }

    @Test func openingPublishesTheTicketAsCreated() async throws {
        try await withTestService(SupportService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            let ticket = try await openWithDefaults(api, by: user).data(Ticket.self)
            let event = try await app.runtime.database.query(
                """
                SELECT value::jsonb #>> '{payload,ticketRef}', value::jsonb #>> '{payload,status}', value::jsonb #>> '{payload,category}',
                       value::jsonb #>> '{payload,priority}', value::jsonb #>> '{payload,subject}', value::jsonb ->> 'source'
                FROM outbox WHERE topic = 'customer.support_ticket.created' AND key = \(user) ORDER BY seq LIMIT 1
                """
            ).decode((String, String, String, String, String, String).self).firstElement()
            #expect(event?.0 == ticket.ticketRef && event?.1 == "OPEN" && event?.2 == "GENERAL" && event?.3 == "MEDIUM")
            #expect(event?.4 == "Where is my order?" && event?.5 == "support")
        }
    }

    @Test func subjectAndMessageAreRequired() async throws {
        try await withTestService(SupportService.self) { api, app in
            let missing = try await api.post("/support/tickets", as: TestEnvironment.uniqueUser(), body: [:])
            #expect(missing.status == .unprocessableContent && Set(missing.errorDetails.keys) == ["subject", "message"])
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM tickets") == 0)
        }
    }

    @Test func everyInvalidFieldIsNamedWithItsRule() async throws {
        try await withTestService(SupportService.self) { api, app in
            let wrong = try await api.post(
                "/support/tickets", as: TestEnvironment.uniqueUser(),
                body: [
                    "subject": "Hi", "message": "too short", "category": "MISC", "priority": "ASAP", "orderId": "", "urgent": true,
                ])
            #expect(wrong.status == .unprocessableContent)
            #expect(
                wrong.errorDetails == [
                    "subject": "subject must be at least 5 characters",
                    "message": "message must be at least 10 characters",
                    "category": "category must be one of ORDER, DELIVERY, PRODUCT, APPOINTMENT, PAYMENT, REFUND, GENERAL, OTHER",
                    "priority": "priority must be one of LOW, MEDIUM, HIGH, URGENT",
                    "orderId": "orderId must not be empty",
                    "urgent": "urgent is not an accepted field",
                ])
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM tickets") == 0)
        }
    }

    @Test func overlongSubjectAndMessageAreRefused() async throws {
        try await withTestService(SupportService.self) { api, app in
            let long = try await api.post(
                "/support/tickets", as: TestEnvironment.uniqueUser(),
                body: [
                    "subject": .string(String(repeating: "s", count: 201)), "message": .string(String(repeating: "m", count: 5001)),
                ])
            #expect(long.errorDetails == ["subject": "subject must be at most 200 characters", "message": "message must be at most 5000 characters"])
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM tickets") == 0)
        }
    }

    /// A reference already taken is retried with a new one, never shown as an error.
    @Test func aTicketRefCollisionIsRetried() async throws {
        try await withTestService(SupportService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            let first = try await openTicket(api, by: user)
            let seeded = try await api.get("/support/tickets/\(first)", as: user).data(Ticket.self).ticketRef
            let refs = RefSequence([seeded, seeded, "TKT-FRESH001"])
            var store = TicketStore(runtime: app.runtime)
            store.newRef = { refs.next() }
            let ticket = try await store.create(
                user,
                NewTicket(
                    subject: "Second ticket", message: "Another problem entirely.", category: .other, priority: .low, orderId: nil),
                correlationId: "test")
            #expect(ticket.ticketRef == "TKT-FRESH001")
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM tickets") == 2)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM ticket_messages") == 2)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM outbox") == 2)
        }
    }
}

/// Listing: customers see their own, staff everyone's with filters.
@Suite(.needsTestServers) struct TicketListTests {
    /// Ann's two tickets and Bob's one, opened in this order.
    struct Three {
        let ann: String, bob: String
        /// Ann's: ORDER and HIGH.
        let a1: String
        /// Ann's: PRODUCT.
        let a2: String
        /// Bob's: ORDER and URGENT.
        let b1: String
    }

    func openThree(_ api: API) async throws -> Three {
        let ann = TestEnvironment.uniqueUser()
        let bob = TestEnvironment.uniqueUser()
        let a1 = try await openTicket(api, by: ann, extra: ["category": "ORDER", "priority": "HIGH"])
        let a2 = try await openTicket(api, by: ann, extra: ["category": "PRODUCT"])
        let b1 = try await openTicket(api, by: bob, extra: ["category": "ORDER", "priority": "URGENT"])
        return Three(ann: ann, bob: bob, a1: a1, a2: a2, b1: b1)
    }

    /// Staff work two of them: b1 assigned to agent-7, a1 waiting on Ann.
    func work(_ api: API, _ t: Three) async throws {
        #expect(try await staffPatch(api, t.b1, ["assignedTo": "agent-7"]).status == .ok)
        #expect(try await staffPatch(api, t.a1, ["status": "WAITING_ON_CUSTOMER"], role: .admin).status == .ok)
    }

    func ids(_ answer: Answer) throws -> [String] {
        try answer.data(TicketController.Listing.self).tickets.map(\.id.lowercasedString)
    }

    func staff(_ api: API, _ query: String) async throws -> [String] {
        try ids(try await api.get("/support/tickets\(query)", as: "agent-1", role: .agent))
    }

    @Test func customersSeeTheirOwnNewestFirst() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let t = try await openThree(api)
            let mine = try await api.get("/support/tickets", as: t.ann)
            #expect(try ids(mine) == [t.a2, t.a1] && mine.meta().total == 2)
        }
    }

    /// Whatever filter they try, customers see only their own tickets.
    @Test func aCustomersUserIdFilterIsIgnored() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let t = try await openThree(api)
            #expect(try ids(try await api.get("/support/tickets?userId=\(t.bob)", as: t.ann)) == [t.a2, t.a1])
        }
    }

    @Test func customersFilterTheirOwnByCategory() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let t = try await openThree(api)
            #expect(try ids(try await api.get("/support/tickets?category=ORDER", as: t.ann)) == [t.a1])
        }
    }

    /// …but an invalid filter is a 422 for them too.
    @Test func anInvalidFilterIsRefusedForCustomersToo() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let invalidFilter = try await api.get("/support/tickets?userId=&assignedTo=a%00b", as: TestEnvironment.uniqueUser())
            #expect(invalidFilter.status == .unprocessableContent && Set(invalidFilter.errorDetails.keys) == ["userId", "assignedTo"])
        }
    }

    /// The customer's cached list follows changes of their tickets at once.
    @Test func theCustomersCachedListFollowsChangesAtOnce() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let t = try await openThree(api)
            #expect(try await api.get("/support/tickets", as: t.ann).status == .ok)  // cached now
            try await work(api, t)
            let statuses = try await api.get("/support/tickets", as: t.ann).data(TicketController.Listing.self).tickets.map(\.status)
            #expect(statuses == [.open, .waitingOnCustomer])
        }
    }

    @Test func staffSeeEveryonesNewestFirst() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let t = try await openThree(api)
            try await work(api, t)
            #expect(try await staff(api, "") == [t.b1, t.a2, t.a1])
        }
    }

    @Test func staffFilterByEachField() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let t = try await openThree(api)
            try await work(api, t)
            #expect(try await staff(api, "?userId=\(t.ann)") == [t.a2, t.a1])
            #expect(try await staff(api, "?status=OPEN") == [t.b1, t.a2])
            #expect(try await staff(api, "?status=WAITING_ON_CUSTOMER") == [t.a1])
            #expect(try await staff(api, "?priority=URGENT") == [t.b1])
            #expect(try await staff(api, "?category=ORDER") == [t.b1, t.a1])
            #expect(try await staff(api, "?assignedTo=agent-7") == [t.b1])
        }
    }

    @Test func staffFiltersCombine() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let t = try await openThree(api)
            try await work(api, t)
            #expect(try await staff(api, "?category=ORDER&priority=HIGH&userId=\(t.ann)&status=WAITING_ON_CUSTOMER") == [t.a1])
            #expect(try await staff(api, "?category=ORDER&userId=\(t.bob)&assignedTo=agent-1") == [])
        }
    }

    @Test func staffListsArePaged() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let t = try await openThree(api)
            let paged = try await api.get("/support/tickets?limit=2&page=2", as: "admin-1", role: .admin)
            let meta = try paged.meta()
            #expect(try ids(paged) == [t.a1] && meta.total == 3 && meta.totalPages == 2)
        }
    }

    @Test func invalidStaffFiltersAreEachNamed() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let invalid = try await api.get(
                "/support/tickets?status=DONE&priority=NOW&category=X&page=0", as: "agent-1", role: .agent)
            #expect(invalid.status == .unprocessableContent && Set(invalid.errorDetails.keys) == ["status", "priority", "category", "page"])
        }
    }
}

/// Staff work tickets (status, priority, assignee); customers may not.
@Suite(.needsTestServers) struct TicketUpdateTests {
    @Test func customersMayNotUpdateTickets() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let id = try await openTicket(api, by: user)
            #expect(try await api.patch("/support/tickets/\(id)", as: user, body: ["status": "RESOLVED"]).status == .forbidden)
        }
    }

    @Test func updatingAnUnknownTicketIsNotFound() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let answer = try await staffPatch(api, UUID().lowercasedString, ["priority": "LOW"])
            #expect(answer.status == .notFound)
        }
    }

    @Test func anUpdateNeedsAValidStatusPriorityOrAssignee() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let id = try await openTicket(api, by: TestEnvironment.uniqueUser())
            #expect(try await staffPatch(api, id, [:]).errorDetails == ["status": "status or priority or assignedTo is required"])
            #expect(try await staffPatch(api, id, ["status": "DONE", "assignedTo": ""]).errorDetails.keys.sorted() == ["assignedTo", "status"])
        }
    }

    @Test func staffAssignAndReprioritiseWithoutMovingTheStatus() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let id = try await openTicket(api, by: TestEnvironment.uniqueUser())
            let assigned = try await staffPatch(api, id, ["assignedTo": "agent-7", "priority": "URGENT"]).data(Ticket.self)
            #expect(assigned.assignedTo == "agent-7" && assigned.priority == .urgent)
            #expect(assigned.status == .open)
        }
    }

    @Test func resolvingStampsResolvedAtAndANullAssigneeUnassigns() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let id = try await openTicket(api, by: TestEnvironment.uniqueUser())
            #expect(try await staffPatch(api, id, ["assignedTo": "agent-7"]).status == .ok)
            let resolved = try await staffPatch(api, id, ["status": "RESOLVED", "assignedTo": nil], role: .admin).data(Ticket.self)
            #expect(resolved.status == .resolved && resolved.resolvedAt != nil && resolved.assignedTo == nil)
        }
    }

    /// Reopened by staff: resolvedAt goes (and a status change is no response).
    @Test func reopeningClearsResolvedAt() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let id = try await openTicket(api, by: TestEnvironment.uniqueUser())
            #expect(try await staffPatch(api, id, ["status": "RESOLVED"]).status == .ok)
            let reopened = try await staffPatch(api, id, ["status": "IN_PROGRESS"]).data(Ticket.self)
            #expect(reopened.resolvedAt == nil && reopened.firstResponseAt == nil)
        }
    }

    @Test func closedIsFinal() async throws {
        try await withTestService(SupportService.self) { api, _ in
            let id = try await openTicket(api, by: TestEnvironment.uniqueUser())
            let closed = try await staffPatch(api, id, ["status": "CLOSED"]).data(Ticket.self)
            #expect(closed.status == .closed && closed.closedAt != nil)
            let changes: [JSONValue] = [["status": "OPEN"], ["priority": "LOW"], ["assignedTo": "agent-2"]]
            for body in changes {
                let refused = try await staffPatch(api, id, body)
                #expect(refused.status == .conflict && refused.errorCode == "INVALID_STATE")
            }
        }
    }

    /// One event per change of status, priority or assignee, with the ticket's state then;
    /// refused changes publish nothing.
    @Test func eachChangeIsPublishedWithTheTicketsStateThen() async throws {
        try await withTestService(SupportService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            let id = try await openTicket(api, by: user)
            #expect(try await staffPatch(api, id, ["assignedTo": "agent-7", "priority": "URGENT"]).status == .ok)
            #expect(try await staffPatch(api, id, ["status": "RESOLVED", "assignedTo": nil], role: .admin).status == .ok)
            #expect(try await staffPatch(api, id, ["status": "IN_PROGRESS"]).status == .ok)
            #expect(try await staffPatch(api, id, ["status": "CLOSED"]).status == .ok)
            let changes: [JSONValue] = [["status": "OPEN"], ["priority": "LOW"], ["assignedTo": "agent-2"]]
            for body in changes { #expect(try await staffPatch(api, id, body).status == .conflict) }

            var updates: [(String, String, String?)] = []
            for try await row in try await app.runtime.database.query(
                """
                SELECT value::jsonb #>> '{payload,status}', value::jsonb #>> '{payload,priority}', value::jsonb #>> '{payload,assignedTo}'
                FROM outbox WHERE topic = 'customer.support_ticket.updated' ORDER BY seq
                """
            ).decode((String, String, String?).self) { updates.append(row) }
            #expect(updates.map(\.0) == ["OPEN", "RESOLVED", "IN_PROGRESS", "CLOSED"])
            #expect(updates.map(\.1) == ["URGENT", "URGENT", "URGENT", "URGENT"])
            #expect(updates.map(\.2) == ["agent-7", nil, nil, nil])
            #expect(
                try await app.runtime.database.scalar(
                    """
                    SELECT count(*)::int FROM outbox WHERE topic = 'customer.support_ticket.updated'
                      AND value::jsonb -> 'payload' -> 'assignedTo' = 'null'::jsonb AND value::jsonb #>> '{payload,ticketId}' IS NOT NULL
                      AND value::jsonb #>> '{payload,updatedAt}' IS NOT NULL AND value::jsonb ->> 'userId' = \(user)
                    """) == 3)
        }
    }
}

/// Hands out the references a test wants, in order.
final class RefSequence: Sendable {
    private let refs: Mutex<[String]>
    init(_ refs: [String]) { self.refs = Mutex(refs) }
    func next() -> String { refs.withLock { $0.isEmpty ? TicketRef.random() : $0.removeFirst() } }
}
