import Contracts
import Foundation
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import support

/// Resolved 8 days ago closes; 6 days ago stays; resolved 8 days ago but answered by the
/// customer since (reopened) stays open. A dry run and a second run change nothing.
@Suite(.needsTestServers) struct AutoCloseTests {
    struct Resolved {
        let api: API
        let user: String
        /// Resolved 8 days ago.
        let old: String
        /// Resolved 6 days ago.
        let recent: String
        /// Resolved 8 days ago, then answered by the customer.
        let answered: String
        let now: Date
        let job: Job
        let runner: JobRunner
    }

    func resolvedTickets(_ api: API, _ app: ServiceApp) async throws -> Resolved {
        let user = TestEnvironment.uniqueUser()
        let old = try await openTicket(api, by: user, subject: "Old and resolved")
        let recent = try await openTicket(api, by: user, subject: "Recently resolved")
        let answered = try await openTicket(api, by: user, subject: "Answered since")
        for id in [old, recent, answered] {
            #expect(try await staffPatch(api, id, ["status": "RESOLVED"]).status == .ok)
        }
        let now = Date()
        for (id, days) in [(old, 8.0), (recent, 6.0), (answered, 8.0)] {
            try await app.runtime.database.query(
                "UPDATE tickets SET resolved_at = \(now.addingTimeInterval(-days * 86_400)) WHERE id = \(UUID(uuidString: id)!)")
        }
        #expect(try await api.post("/support/tickets/\(answered)/messages", as: user, body: ["message": "Not fixed yet."]).status == .created)
        let job = try #require(app.jobs.first { $0.name == "close-resolved-tickets" })
        return Resolved(
            api: api, user: user, old: old, recent: recent, answered: answered, now: now, job: job, runner: JobRunner(runtime: app.runtime))
    }

    func ticket(_ r: Resolved, _ id: String) async throws -> Ticket {
        try await r.api.get("/support/tickets/\(id)", as: r.user).data(Ticket.self)
    }

    @Test func aDryRunCountsWhatWouldCloseAndClosesNothing() async throws {
        try await withTestService(SupportService.self) { api, app in
            let r = try await resolvedTickets(api, app)
            #expect(try await r.runner.run(r.job, dryRun: true, now: r.now) == .succeeded(JobOutcome(counts: ["wouldClose": 1])))
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM tickets WHERE status = 'CLOSED'") == 0)
        }
    }

    @Test func aTicketResolvedLongerAgoThanTheSettingClosesWithASystemMessage() async throws {
        try await withTestService(SupportService.self) { api, app in
            let r = try await resolvedTickets(api, app)
            #expect(try await r.runner.run(r.job, dryRun: false, now: r.now) == .succeeded(JobOutcome(counts: ["closed": 1])))
            let closed = try await ticket(r, r.old)
            #expect(closed.status == .closed && closed.closedAt != nil && closed.resolvedAt != nil)
            let last = closed.messages?.last
            #expect(last?.senderType == .system && last?.senderId == "system")
            #expect(last?.message == "This ticket was closed automatically: it was resolved 7 days ago without a reply from the customer.")
        }
    }

    @Test func recentlyResolvedAndAnsweredTicketsStay() async throws {
        try await withTestService(SupportService.self) { api, app in
            let r = try await resolvedTickets(api, app)
            #expect(try await r.runner.run(r.job, dryRun: false, now: r.now) == .succeeded(JobOutcome(counts: ["closed": 1])))
            #expect(try await ticket(r, r.recent).status == .resolved)
            #expect(try await ticket(r, r.answered).status == .open)
        }
    }

    /// A second run closes nothing more, and the close was published once.
    @Test func aSecondRunClosesNothingMore() async throws {
        try await withTestService(SupportService.self) { api, app in
            let r = try await resolvedTickets(api, app)
            #expect(try await r.runner.run(r.job, dryRun: false, now: r.now) == .succeeded(JobOutcome(counts: ["closed": 1])))
            #expect(try await r.runner.run(r.job, dryRun: false, now: r.now) == .succeeded(JobOutcome(counts: ["closed": 0])))
            #expect(
                try await app.runtime.database.scalar(
                    """
                    SELECT count(*)::int FROM outbox WHERE topic = 'customer.support_ticket.updated'
                      AND value::jsonb #>> '{payload,status}' = 'CLOSED'
                      AND value::jsonb #>> '{payload,ticketId}' = \(r.old)
                    """) == 1)
        }
    }

    @Test func aBadAutoCloseSettingStopsTheService() async throws {
        await #expect(throws: (any Error).self) {
            try await withTestService(SupportService.self, overrides: ["SUPPORT_AUTO_CLOSE_DAYS": "0"]) { _, _ in }
        }
    }
}

@Suite(.needsTestServers) struct ErasureTests {
    /// One behaviour observed end to end: what the customer wrote (subject, message, rating
    /// comment) is redacted in the cached list and the ticket, the record stays, profiles
    /// hears the new subject once, and a repeated erasure changes nothing more.
    @Test func erasureRedactsWhatTheCustomerWroteAndKeepsTheRecord() async throws {
        try await withTestServiceAndBroker(SupportService.self) { api, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let id = try await openTicket(api, by: user, subject: "My address is 1 Oak Lane")
            func firstSubject() async throws -> String? {
                try await api.get("/support/tickets", as: user).data(TicketController.Listing.self).tickets.first?.subject
            }
            // The customer's list is cached now, with the old subject.
            #expect(try await firstSubject() == "My address is 1 Oak Lane")
            _ = try await api.post("/support/tickets/\(id)/messages", as: "agent-1", role: .agent, body: ["message": "Thanks, we will call you."])
            _ = try await staffPatch(api, id, ["status": "RESOLVED"])
            _ = try await api.post("/support/tickets/\(id)/rating", as: user, body: ["rating": 5, "comment": "Call me on 07700 900123"])

            let publisher = try TestPublisher(brokers: brokers)
            let erased = try await publisher.publish(
                Topics.profileAnonymized, ProfileAnonymized(userId: user, anonymizedAt: Date()),
                userId: user, source: "profiles", times: 2)
            // A second erasure of the same customer, after the redelivered first (same key, so
            // the same partition, in order): once it is applied, so are both copies before it.
            let again = try await publisher.publish(
                Topics.profileAnonymized, ProfileAnonymized(userId: user, anonymizedAt: Date()),
                userId: user, source: "profiles")
            await publisher.shutdown()
            #expect(
                try await eventually {
                    try await app.hasProcessed(again.id)
                })
            #expect(try await app.hasProcessed(erased.id))
            #expect(try await firstSubject() == "[removed]")
            let ticket = try await staffView(api, id)
            #expect(ticket.subject == "[removed]" && ticket.status == .resolved)
            #expect((ticket.messages ?? []).map(\.message) == ["[removed]", "Thanks, we will call you."])
            #expect(ticket.rating?.rating == 5 && ticket.rating?.comment == nil)
            // profiles hears the new subject once; the repeated erasure changes nothing more.
            #expect(
                try await app.runtime.database.scalar(
                    """
                    SELECT count(*)::int FROM outbox WHERE topic = 'customer.support_ticket.updated'
                      AND value::jsonb #>> '{payload,subject}' = '[removed]' AND value::jsonb ->> 'correlationId' = \(erased.id.lowercasedString)
                    """) == 1)
            #expect(
                try await app.runtime.database.scalar(
                    """
                    SELECT count(*)::int FROM outbox WHERE value::jsonb ->> 'correlationId' = \(again.id.lowercasedString)
                    """) == 0)
        }
    }

    /// CONTRACT §13: an erasure the customer asked for closes every ticket of theirs that is not
    /// closed yet, with a SYSTEM message, once; a closed one and other customers' stay as they are.
    @Test func anErasureRequestClosesTheCustomersTicketsOnce() async throws {
        try await withTestServiceAndBroker(SupportService.self) { api, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let other = TestEnvironment.uniqueUser()
            let open = try await openTicket(api, by: user, subject: "Still open")
            let resolved = try await openTicket(api, by: user, subject: "Resolved already")
            let closed = try await openTicket(api, by: user, subject: "Closed already")
            let theirs = try await openTicket(api, by: other, subject: "Someone else's")
            #expect(try await staffPatch(api, resolved, ["status": "RESOLVED"]).status == .ok)
            #expect(try await staffPatch(api, closed, ["status": "CLOSED"]).status == .ok)

            let publisher = try TestPublisher(brokers: brokers)
            let erasure = try await publisher.publish(
                Topics.erasureRequested, ErasureRequested(userId: user, requestedAt: Date(), requestedBy: user),
                userId: user, source: "profiles", times: 2)
            // Same topic, same key, so the same partition, in order: once this is applied, both
            // copies before it are. (Partitions are per topic: a marker on another topic may be
            // consumed first, as a CI run saw.) It erases a customer with no tickets.
            let marker = try await publisher.publish(
                Topics.erasureRequested, ErasureRequested(userId: TestEnvironment.uniqueUser(), requestedAt: Date(), requestedBy: user),
                userId: user, source: "profiles")
            await publisher.shutdown()
            #expect(try await eventually { try await app.hasProcessed(marker.id) })
            #expect(try await app.hasProcessed(erasure.id))

            func systemMessages(_ id: String) async throws -> [String] {
                (try await staffView(api, id).messages ?? []).filter { $0.senderType == .system }.map(\.message)
            }
            for id in [open, resolved] {
                #expect(try await staffView(api, id).status == .closed)
                #expect(try await systemMessages(id) == [Erasure.closedOnErasure])
            }
            #expect(try await systemMessages(closed).isEmpty)
            #expect(try await staffView(api, theirs).status == .open)
            #expect(
                try await app.runtime.database.scalar(
                    """
                    SELECT count(*)::int FROM outbox WHERE topic = 'customer.support_ticket.updated'
                      AND value::jsonb ->> 'correlationId' = \(erasure.id.lowercasedString)
                    """) == 2)
        }
    }
}
