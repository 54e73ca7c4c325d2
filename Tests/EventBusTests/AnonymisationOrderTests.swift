import Contracts
import Domain
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import EventBus

/// `answerExports` wraps a context's `customer.profile.anonymized` handlers: each anonymisation
/// runs once, in order, as its own event — also when several of one customer arrive in one run.
@Suite(.needsTestServers) struct AnonymisationOrderTests {
    static func anonymised(_ user: String, at time: Date) -> EventEnvelope<ProfileAnonymized> {
        EventEnvelope(
            topic: Topics.profileAnonymized, occurredAt: time, source: "profiles", correlationId: nil, userId: user,
            payload: ProfileAnonymized(userId: user, anonymizedAt: time))
    }

    @Test func eachAnonymisationOfARunIsAppliedOnceInOrder() async throws {
        try await withHarness { h in
            let applied = Mutex<[UUID]>([])
            var handlers = EventHandlers()
            handlers.on(Topics.profileAnonymized) { event, _ in applied.withLock { $0.append(event.id) } }
            handlers.answerExports(outbox: h.outbox, logger: h.logger) { _, _ in .object([:]) }
            let apply = try #require(handlers.byTopic[Topics.profileAnonymized.name]?.apply)

            let earlier = Date(timeIntervalSince1970: 1_900_000_000)
            let later = earlier.addingTimeInterval(5)
            let first = Self.anonymised("u-1", at: earlier)
            let second = Self.anonymised("u-1", at: later)
            let other = Self.anonymised("u-2", at: earlier)
            try await h.database.transaction { connection in
                try await apply([first, other, second].map { BoundEvent(topic: Topics.profileAnonymized.name, envelope: $0) }, connection)
            }
            #expect(applied.withLock { $0 } == [first.id, other.id, second.id])

            // The same anonymisations once more (new ids, as a replay would bring), and an older
            // one: nothing runs again.
            let replayed = [Self.anonymised("u-1", at: later), Self.anonymised("u-1", at: earlier), Self.anonymised("u-2", at: earlier)]
            try await h.database.transaction { connection in
                try await apply(replayed.map { BoundEvent(topic: Topics.profileAnonymized.name, envelope: $0) }, connection)
            }
            #expect(applied.withLock { $0 }.count == 3)
        }
    }
}
