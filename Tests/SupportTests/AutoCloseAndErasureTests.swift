import Contracts
import Foundation
import HummingbirdTesting
import PostgresNIO
import ServiceKit
@testable import support
import Testing
import TestSupport

@Suite struct AutoCloseAndErasureTests {
    /// Resolved 8 days ago closes; 6 days ago stays; resolved 8 days ago but answered by the
    /// customer since (reopened) stays open. A dry run and a second run change nothing.
    @Test func resolvedTicketsCloseAfterTheConfiguredDays() async throws {
        try await withTestService(SupportService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            let database = app.runtime.database
            let old = try await openTicket(client, by: user, subject: "Old and resolved")
            let recent = try await openTicket(client, by: user, subject: "Recently resolved")
            let answered = try await openTicket(client, by: user, subject: "Answered since")
            for id in [old, recent, answered] {
                #expect(try await call(client, .patch, "/support/tickets/\(id)", as: "agent-1", role: .agent, body: #"{"status":"RESOLVED"}"#).status == .ok)
            }
            let now = Date()
            for (id, days) in [(old, 8.0), (recent, 6.0), (answered, 8.0)] {
                try await database.query("UPDATE tickets SET resolved_at = \(now.addingTimeInterval(-days * 86_400)) WHERE id = \(UUID(uuidString: id)!)")
            }
            #expect(try await call(client, .post, "/support/tickets/\(answered)/messages", as: user, body: #"{"message":"Not fixed yet."}"#).status == .created)

            let job = try #require(app.jobs.first { $0.name == "close-resolved-tickets" })
            let runner = JobRunner(runtime: app.runtime)
            #expect(try await runner.run(job, dryRun: true, now: now) == .succeeded(JobOutcome(counts: ["wouldClose": 1])))
            #expect(try await database.scalar("SELECT count(*)::int FROM tickets WHERE status = 'CLOSED'") == 0)
            #expect(try await runner.run(job, dryRun: false, now: now) == .succeeded(JobOutcome(counts: ["closed": 1])))
            #expect(try await runner.run(job, dryRun: false, now: now) == .succeeded(JobOutcome(counts: ["closed": 0])))

            func status(_ id: String) async throws -> [String: Any] { try await call(client, .get, "/support/tickets/\(id)", as: user).data }
            let closed = try await status(old)
            #expect(closed["status"] as? String == "CLOSED" && closed["closedAt"] is String && closed["resolvedAt"] is String)
            let last = (closed["messages"] as? [[String: Any]])?.last
            #expect(last?["senderType"] as? String == "SYSTEM" && last?["senderId"] as? String == "system")
            #expect(last?["message"] as? String == "This ticket was closed automatically: it was resolved 7 days ago without a reply from the customer.")
            #expect(try await status(recent)["status"] as? String == "RESOLVED")
            #expect(try await status(answered)["status"] as? String == "OPEN")
            #expect(try await database.scalar("""
                SELECT count(*)::int FROM outbox WHERE topic = 'customer.support_ticket.updated' AND value::jsonb #>> '{payload,status}' = 'CLOSED'
                  AND value::jsonb #>> '{payload,ticketId}' = \(old)
                """) == 1)
        }
    }

    @Test func aBadAutoCloseSettingStopsTheService() async throws {
        await #expect(throws: (any Error).self) {
            try await withTestService(SupportService.self, overrides: ["SUPPORT_AUTO_CLOSE_DAYS": "0"]) { _, _ in }
        }
    }

    @Test func erasureRedactsWhatTheCustomerWroteAndKeepsTheRecord() async throws {
        try await withTestServiceAndBroker(SupportService.self) { client, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let id = try await openTicket(client, by: user, subject: "My address is 1 Oak Lane")
            // The customer's list is cached now, with the old subject.
            #expect((try await call(client, .get, "/support/tickets", as: user).data["tickets"] as? [[String: Any]])?.first?["subject"] as? String
                    == "My address is 1 Oak Lane")
            _ = try await call(client, .post, "/support/tickets/\(id)/messages", as: "agent-1", role: .agent, body: #"{"message":"Thanks, we will call you."}"#)
            _ = try await call(client, .patch, "/support/tickets/\(id)", as: "agent-1", role: .agent, body: #"{"status":"RESOLVED"}"#)
            _ = try await call(client, .post, "/support/tickets/\(id)/rating", as: user, body: #"{"rating":5,"comment":"Call me on 07700 900123"}"#)

            let publisher = try TestPublisher(brokers: brokers)
            let erased = try await publisher.publish(Topics.profileAnonymized, ProfileAnonymized(userId: user, anonymizedAt: Date()),
                                                     userId: user, source: "profiles", times: 2)
            // A second erasure of the same customer, after the redelivered first (same key, so
            // the same partition, in order): once it is applied, so are both copies before it.
            let again = try await publisher.publish(Topics.profileAnonymized, ProfileAnonymized(userId: user, anonymizedAt: Date()),
                                                    userId: user, source: "profiles")
            await publisher.shutdown()
            #expect(try await eventually {
                try await app.hasProcessed(again.id)
            })
            #expect(try await app.hasProcessed(erased.id))
            #expect((try await call(client, .get, "/support/tickets", as: user).data["tickets"] as? [[String: Any]])?.first?["subject"] as? String
                    == "[removed]")
            let ticket = try await call(client, .get, "/support/tickets/\(id)", as: "agent-1", role: .agent).data
            #expect(ticket["subject"] as? String == "[removed]" && ticket["status"] as? String == "RESOLVED")
            let messages = (ticket["messages"] as? [[String: Any]] ?? []).map { $0["message"] as? String }
            #expect(messages == ["[removed]", "Thanks, we will call you."])
            let rating = ticket["rating"] as? [String: Any]
            #expect(rating?["rating"] as? Int == 5 && rating?["comment"] is NSNull)
            // profiles hears the new subject once; the repeated erasure changes nothing more.
            #expect(try await app.runtime.database.scalar("""
                SELECT count(*)::int FROM outbox WHERE topic = 'customer.support_ticket.updated'
                  AND value::jsonb #>> '{payload,subject}' = '[removed]' AND value::jsonb ->> 'correlationId' = \(erased.id.lowercasedString)
                """) == 1)
            #expect(try await app.runtime.database.scalar("""
                SELECT count(*)::int FROM outbox WHERE value::jsonb ->> 'correlationId' = \(again.id.lowercasedString)
                """) == 0)
        }
    }

    /// CONTRACT §13: an erasure the customer asked for closes every ticket of theirs that is not
    /// closed yet, with a SYSTEM message, once; a closed one and other customers' stay as they are.
    @Test func anErasureRequestClosesTheCustomersTicketsOnce() async throws {
        try await withTestServiceAndBroker(SupportService.self) { client, app, brokers in
            let user = TestEnvironment.uniqueUser(), other = TestEnvironment.uniqueUser()
            let open = try await openTicket(client, by: user, subject: "Still open")
            let resolved = try await openTicket(client, by: user, subject: "Resolved already")
            let closed = try await openTicket(client, by: user, subject: "Closed already")
            let theirs = try await openTicket(client, by: other, subject: "Someone else's")
            #expect(try await call(client, .patch, "/support/tickets/\(resolved)", as: "agent-1", role: .agent, body: #"{"status":"RESOLVED"}"#).status == .ok)
            #expect(try await call(client, .patch, "/support/tickets/\(closed)", as: "agent-1", role: .agent, body: #"{"status":"CLOSED"}"#).status == .ok)

            let publisher = try TestPublisher(brokers: brokers)
            let erasure = try await publisher.publish(
                Topics.erasureRequested, ErasureRequested(userId: user, requestedAt: Date(), requestedBy: user), userId: user, source: "profiles", times: 2)
            // Same topic, same key, so the same partition, in order: once this is applied, both
            // copies before it are. (Partitions are per topic: a marker on another topic may be
            // consumed first, as a CI run saw.) It erases a customer with no tickets.
            let marker = try await publisher.publish(
                Topics.erasureRequested, ErasureRequested(userId: TestEnvironment.uniqueUser(), requestedAt: Date(), requestedBy: user),
                userId: user, source: "profiles")
            await publisher.shutdown()
            #expect(try await eventually { try await app.hasProcessed(marker.id) })
            #expect(try await app.hasProcessed(erasure.id))

            func ticket(_ id: String) async throws -> [String: Any] { try await call(client, .get, "/support/tickets/\(id)", as: "agent-1", role: .agent).data }
            func systemMessages(_ id: String) async throws -> [String?] {
                (try await ticket(id)["messages"] as? [[String: Any]] ?? []).filter { $0["senderType"] as? String == "SYSTEM" }.map { $0["message"] as? String }
            }
            for id in [open, resolved] {
                #expect(try await ticket(id)["status"] as? String == "CLOSED")
                #expect(try await systemMessages(id) == [Erasure.closedOnErasure])
            }
            #expect(try await systemMessages(closed).isEmpty)
            #expect(try await ticket(theirs)["status"] as? String == "OPEN")
            #expect(try await app.runtime.database.scalar("""
                SELECT count(*)::int FROM outbox WHERE topic = 'customer.support_ticket.updated'
                  AND value::jsonb ->> 'correlationId' = \(erasure.id.lowercasedString)
                """) == 2)
        }
    }
}
