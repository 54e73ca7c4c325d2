import Auth
import Foundation
import HummingbirdTesting
import PostgresNIO
@testable import support
import Synchronization
import Testing
import TestSupport

/// A ticket opened through HTTP; returns its id.
func openTicket(
    _ client: any TestClientProtocol, by user: String, subject: String = "Drawer runner broken",
    extra: String = ""
) async throws -> String {
    let created = try await call(client, .post, "/support/tickets", as: user, body: """
        {"subject":"\(subject)","message":"The left drawer runner snapped off."\(extra)}
        """)
    #expect(created.status == .created)
    return try #require(created.data["id"] as? String)
}

@Suite struct TicketTests {
    @Test func openedWithDefaultsAndTheFirstMessage() async throws {
        try await withTestService(SupportService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            #expect(try await call(client, .post, "/support/tickets", as: nil, body: "{}").status == .unauthorized)
            let created = try await call(client, .post, "/support/tickets", as: user, body: """
                {"subject":"  Where is my order? ","message":"Ordered two weeks ago, nothing yet."}
                """)
            #expect(created.status == .created)
            let t = created.data
            #expect(t["subject"] as? String == "Where is my order?" && t["userId"] as? String == user)
            #expect(t["category"] as? String == "GENERAL" && t["priority"] as? String == "MEDIUM" && t["status"] as? String == "OPEN")
            for field in ["assignedTo", "orderId", "firstResponseAt", "resolvedAt", "closedAt", "rating"] { #expect(t[field] is NSNull, "\(field)") }
            #expect((t["ticketRef"] as? String)?.wholeMatch(of: /TKT-[A-Z0-9]{8}/) != nil)
            #expect(t["createdAt"] is String && t["updatedAt"] is String && t["messages"] == nil)
            let id = try #require(t["id"] as? String)

            let full = try await call(client, .post, "/support/tickets", as: user, body: """
                {"subject":"Refund please","message":"The wardrobe arrived damaged.","category":"REFUND","priority":"HIGH","orderId":"order-9"}
                """)
            #expect(full.data["category"] as? String == "REFUND" && full.data["priority"] as? String == "HIGH" && full.data["orderId"] as? String == "order-9")

            let one = try await call(client, .get, "/support/tickets/\(id)", as: user)
            #expect(one.status == .ok && one.data["id"] as? String == id)
            let messages = one.data["messages"] as? [[String: Any]] ?? []
            let first = try #require(messages.first)
            #expect(messages.count == 1 && first["senderType"] as? String == "CUSTOMER" && first["senderId"] as? String == user)
            #expect(first["message"] as? String == "Ordered two weeks ago, nothing yet." && first["isInternal"] as? Bool == false)
            #expect(first["ticketId"] as? String == id)

            // Another customer's ticket, an unknown or malformed id: 404.
            #expect(try await call(client, .get, "/support/tickets/\(id)", as: TestEnvironment.uniqueUser()).status == .notFound)
            #expect(try await call(client, .get, "/support/tickets/\(UUID())", as: user).status == .notFound)
            #expect(try await call(client, .get, "/support/tickets/nope", as: user).errorCode == "NOT_FOUND")
            #expect(try await call(client, .get, "/support/tickets/\(id.lowercased())", as: "agent-1", role: .agent).status == .ok)

            let event = try await app.runtime.database.query("""
                SELECT value::jsonb #>> '{payload,ticketRef}', value::jsonb #>> '{payload,status}', value::jsonb #>> '{payload,category}',
                       value::jsonb #>> '{payload,priority}', value::jsonb #>> '{payload,subject}', value::jsonb ->> 'source'
                FROM outbox WHERE topic = 'customer.support_ticket.created' AND key = \(user) ORDER BY seq LIMIT 1
                """).decode((String, String, String, String, String, String).self).firstElement()
            #expect(event?.0 == t["ticketRef"] as? String && event?.1 == "OPEN" && event?.2 == "GENERAL" && event?.3 == "MEDIUM")
            #expect(event?.4 == "Where is my order?" && event?.5 == "support")
        }
    }

    @Test func invalidTicketsAre422WithEveryField() async throws {
        try await withTestService(SupportService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            let missing = try await call(client, .post, "/support/tickets", as: user, body: "{}")
            #expect(missing.status == .unprocessableContent && Set(missing.errorDetails.keys) == ["subject", "message"])
            let wrong = try await call(client, .post, "/support/tickets", as: user, body: """
                {"subject":"Hi","message":"too short","category":"MISC","priority":"ASAP","orderId":"","urgent":true}
                """)
            #expect(wrong.errorDetails == [
                "subject": "subject must be at least 5 characters",
                "message": "message must be at least 10 characters",
                "category": "category must be one of ORDER, DELIVERY, PRODUCT, APPOINTMENT, PAYMENT, REFUND, GENERAL, OTHER",
                "priority": "priority must be one of LOW, MEDIUM, HIGH, URGENT",
                "orderId": "orderId must not be empty",
                "urgent": "urgent is not an accepted field",
            ])
            let long = try await call(client, .post, "/support/tickets", as: user, body: """
                {"subject":"\(String(repeating: "s", count: 201))","message":"\(String(repeating: "m", count: 5001))"}
                """)
            #expect(long.errorDetails == ["subject": "subject must be at most 200 characters", "message": "message must be at most 5000 characters"])
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM tickets") == 0)
        }
    }

    /// A reference already taken is retried with a new one, never shown as an error.
    @Test func aTicketRefCollisionIsRetried() async throws {
        try await withTestService(SupportService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            let seeded = try #require(try await call(client, .get, "/support/tickets/\(try await openTicket(client, by: user))", as: user)
                .data["ticketRef"] as? String)
            let refs = RefSequence([seeded, seeded, "TKT-FRESH001"])
            var store = TicketStore(runtime: app.runtime)
            store.newRef = { refs.next() }
            let ticket = try await store.create(user, NewTicket(
                subject: "Second ticket", message: "Another problem entirely.", category: .other, priority: .low, orderId: nil),
                correlationId: "test")
            #expect(ticket.ticketRef == "TKT-FRESH001")
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM tickets") == 2)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM ticket_messages") == 2)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM outbox") == 2)
        }
    }

    @Test func customersListTheirOwnAndStaffFilterEveryone() async throws {
        try await withTestService(SupportService.self) { client, app in
            let ann = TestEnvironment.uniqueUser(), bob = TestEnvironment.uniqueUser()
            let a1 = try await openTicket(client, by: ann, extra: #","category":"ORDER","priority":"HIGH""#)
            let a2 = try await openTicket(client, by: ann, extra: #","category":"PRODUCT""#)
            let b1 = try await openTicket(client, by: bob, extra: #","category":"ORDER","priority":"URGENT""#)
            func ids(_ answer: Answer) -> [String?] { (answer.data["tickets"] as? [[String: Any]] ?? []).map { $0["id"] as? String } }
            func staff(_ query: String) async throws -> [String?] {
                ids(try await call(client, .get, "/support/tickets\(query)", as: "agent-1", role: .agent))
            }
            // Customers: their own, newest first, whatever filter they try.
            let mine = try await call(client, .get, "/support/tickets", as: ann)
            #expect(ids(mine) == [a2, a1] && mine.meta["total"] as? Int == 2)
            #expect(ids(try await call(client, .get, "/support/tickets?userId=\(bob)", as: ann)) == [a2, a1])
            // …but an invalid filter is a 422 for them too.
            let invalidFilter = try await call(client, .get, "/support/tickets?userId=&assignedTo=a%00b", as: ann)
            #expect(invalidFilter.status == .unprocessableContent && Set(invalidFilter.errorDetails.keys) == ["userId", "assignedTo"])
            #expect(ids(try await call(client, .get, "/support/tickets?category=ORDER", as: ann)) == [a1])

            #expect(try await call(client, .patch, "/support/tickets/\(b1)", as: "agent-1", role: .agent, body: #"{"assignedTo":"agent-7"}"#).status == .ok)
            #expect(try await call(client, .patch, "/support/tickets/\(a1)", as: "admin-1", role: .admin, body: #"{"status":"WAITING_ON_CUSTOMER"}"#).status == .ok)
            // The customer's cached list follows changes of their tickets at once.
            let statuses = (try await call(client, .get, "/support/tickets", as: ann).data["tickets"] as? [[String: Any]] ?? []).map { $0["status"] as? String }
            #expect(statuses == ["OPEN", "WAITING_ON_CUSTOMER"])
            // Staff: everyone's, and each filter on its own and combined.
            #expect(try await staff("") == [b1, a2, a1])
            #expect(try await staff("?userId=\(ann)") == [a2, a1])
            #expect(try await staff("?status=OPEN") == [b1, a2])
            #expect(try await staff("?status=WAITING_ON_CUSTOMER") == [a1])
            #expect(try await staff("?priority=URGENT") == [b1])
            #expect(try await staff("?category=ORDER") == [b1, a1])
            #expect(try await staff("?assignedTo=agent-7") == [b1])
            #expect(try await staff("?category=ORDER&priority=HIGH&userId=\(ann)&status=WAITING_ON_CUSTOMER") == [a1])
            #expect(try await staff("?category=ORDER&userId=\(bob)&assignedTo=agent-1") == [])
            let paged = try await call(client, .get, "/support/tickets?limit=2&page=2", as: "admin-1", role: .admin)
            #expect(ids(paged) == [a1] && paged.meta["total"] as? Int == 3 && paged.meta["totalPages"] as? Int == 2)
            let invalid = try await call(client, .get, "/support/tickets?status=DONE&priority=NOW&category=X&page=0", as: "agent-1", role: .agent)
            #expect(invalid.status == .unprocessableContent && Set(invalid.errorDetails.keys) == ["status", "priority", "category", "page"])
            #expect(try await call(client, .get, "/support/tickets", as: nil).status == .unauthorized)
        }
    }

    @Test func staffWorkTicketsAndCustomersMayNot() async throws {
        try await withTestService(SupportService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            let id = try await openTicket(client, by: user)
            func patch(_ body: String, as role: Role = .agent) async throws -> Answer {
                try await call(client, .patch, "/support/tickets/\(id)", as: role == .customer ? user : "agent-1", role: role, body: body)
            }
            #expect(try await patch(#"{"status":"RESOLVED"}"#, as: .customer).status == .forbidden)
            #expect(try await call(client, .patch, "/support/tickets/\(id)", as: nil, body: "{}").status == .unauthorized)
            #expect(try await call(client, .patch, "/support/tickets/\(UUID())", as: "agent-1", role: .agent, body: #"{"priority":"LOW"}"#).status == .notFound)
            #expect(try await patch("{}").errorDetails == ["status": "status or priority or assignedTo is required"])
            #expect(try await patch(#"{"status":"DONE","assignedTo":""}"#).errorDetails.keys.sorted() == ["assignedTo", "status"])

            let assigned = try await patch(#"{"assignedTo":"agent-7","priority":"URGENT"}"#)
            #expect(assigned.data["assignedTo"] as? String == "agent-7" && assigned.data["priority"] as? String == "URGENT")
            #expect(assigned.data["status"] as? String == "OPEN")
            let resolved = try await patch(#"{"status":"RESOLVED","assignedTo":null}"#, as: .admin)
            #expect(resolved.data["status"] as? String == "RESOLVED" && resolved.data["resolvedAt"] is String && resolved.data["assignedTo"] is NSNull)
            // Reopened by staff: resolvedAt goes; then CLOSED is final.
            let reopened = try await patch(#"{"status":"IN_PROGRESS"}"#)
            #expect(reopened.data["resolvedAt"] is NSNull && reopened.data["firstResponseAt"] is NSNull)
            let closed = try await patch(#"{"status":"CLOSED"}"#)
            #expect(closed.data["status"] as? String == "CLOSED" && closed.data["closedAt"] is String)
            for body in [#"{"status":"OPEN"}"#, #"{"priority":"LOW"}"#, #"{"assignedTo":"agent-2"}"#] {
                let refused = try await patch(body)
                #expect(refused.status == .conflict && refused.errorCode == "INVALID_STATE")
            }
            // One event per change of status, priority or assignee, with the ticket's state then.
            var updates: [(String, String, String?)] = []
            for try await row in try await app.runtime.database.query("""
                SELECT value::jsonb #>> '{payload,status}', value::jsonb #>> '{payload,priority}', value::jsonb #>> '{payload,assignedTo}'
                FROM outbox WHERE topic = 'customer.support_ticket.updated' ORDER BY seq
                """).decode((String, String, String?).self) { updates.append(row) }
            #expect(updates.map(\.0) == ["OPEN", "RESOLVED", "IN_PROGRESS", "CLOSED"])
            #expect(updates.map(\.1) == ["URGENT", "URGENT", "URGENT", "URGENT"])
            #expect(updates.map(\.2) == ["agent-7", nil, nil, nil])
            #expect(try await app.runtime.database.scalar("""
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
