import Contracts
import Domain
import Foundation
import PostgresNIO
import Synchronization
import TestSupport
import Testing

@testable import EventBus

/// `EventHandlers.onBatch`: runs of one topic applied together, and the projections that
/// write a run in one statement keeping the newest state per key.
@Suite(.serialized, .needsTestServers) struct BatchHandlerTests {
    func message<P>(
        _ topic: Topic<P>, _ payload: P, offset: Int64, id: UUID = UUID(), userId: String = "user-1", at: Date = Date()
    ) throws -> KafkaMessage {
        let event = EventEnvelope(id: id, topic: topic, occurredAt: at, source: "test", correlationId: nil, userId: userId, payload: payload)
        return KafkaMessage(
            topic: topic.name, partition: 0, offset: offset, key: Array(userId.utf8), value: Array(try JSONCoding.encoder.encode(event)))
    }

    @Test func consecutiveEventsOfATopicReachItsHandlersAsOneRunInOrder() async throws {
        try await withHarness { h in
            let other = Topic<TestPayload>("test.other.\(UUID().uuidString.prefix(8).lowercased())")
            let runs = Mutex<[[String]]>([])
            var handlers = EventHandlers()
            handlers.onBatch(h.topic) { events, _ in runs.withLock { $0.append(events.map { "a\($0.payload.sequence)" }) } }
            handlers.onBatch(h.topic) { events, _ in runs.withLock { $0.append(events.map { "a\($0.payload.sequence)'" }) } }
            handlers.on(other) { event, _ in runs.withLock { $0.append(["b\(event.payload.sequence)"]) } }
            let producer = try KafkaProducer(h.configuration(), logger: h.logger)
            let consumer = EventConsumer(
                configuration: h.configuration(), handlers: handlers, database: h.database, producer: producer, logger: h.logger)

            let repeated = UUID()
            let batch = [
                try message(h.topic, TestPayload(sequence: 1, note: ""), offset: 0),
                try message(h.topic, TestPayload(sequence: 2, note: ""), offset: 1, id: repeated),
                try message(h.topic, TestPayload(sequence: 2, note: ""), offset: 2, id: repeated),
                try message(other, TestPayload(sequence: 10, note: ""), offset: 0),
                try message(other, TestPayload(sequence: 11, note: ""), offset: 1),
                try message(h.topic, TestPayload(sequence: 3, note: ""), offset: 3),
            ]
            #expect(await consumer.process(batch))
            // Each handler of a topic sees the whole run; a plain `on` handler one event at a
            // time; the repeated id once; and the runs keep the batch's order.
            #expect(runs.withLock { $0 } == [["a1", "a2"], ["a1'", "a2'"], ["b10"], ["b11"], ["a3"], ["a3'"]])
            #expect(try await h.database.scalar("SELECT count(*)::int FROM processed_events") == 5)

            // A redelivered batch applies nothing.
            runs.withLock { $0 = [] }
            #expect(await consumer.process(batch))
            #expect(runs.withLock { $0 }.isEmpty)
        }
    }

    @Test func theCustomerNamesProjectionKeepsTheNewestNameOfEachCustomerFromOneBatch() async throws {
        try await withHarness { h in
            try await h.database.query(PostgresQuery(unsafeSQL: CustomerNames.table))
            var handlers = EventHandlers()
            CustomerNames.register(on: &handlers, logger: h.logger)
            // Sees each run after the projection wrote it: runs of one event would mean the
            // batch failed and was applied event by event instead.
            let runSizes = Mutex<[Int]>([])
            handlers.onBatch(Topics.profileUpdated) { events, _ in runSizes.withLock { $0.append(events.count) } }
            handlers.onBatch(Topics.profileAnonymized) { events, _ in runSizes.withLock { $0.append(events.count) } }
            let producer = try KafkaProducer(h.configuration(), logger: h.logger)
            let consumer = EventConsumer(
                configuration: h.configuration(), handlers: handlers, database: h.database, producer: producer, logger: h.logger)
            func updated(_ user: String, _ first: String?, _ last: String?) -> ProfileUpdated {
                ProfileUpdated(userId: user, action: .updated, changedFields: ["firstName"], firstName: first, lastName: last, email: nil, phone: nil)
            }
            let now = Date()
            #expect(
                await consumer.process([
                    // The newer state arrives first; the older one after it must not win.
                    try message(Topics.profileUpdated, updated("ann", "Ann", "Lee"), offset: 0, userId: "ann", at: now),
                    try message(Topics.profileUpdated, updated("ann", "Anne", "Old"), offset: 1, userId: "ann", at: now.addingTimeInterval(-5)),
                    // Equal times: the later arrival wins, as it would one event at a time.
                    try message(Topics.profileUpdated, updated("bo", "Bo", nil), offset: 2, userId: "bo", at: now),
                    try message(Topics.profileUpdated, updated("bo", nil, "Berg"), offset: 3, userId: "bo", at: now),
                    try message(Topics.profileUpdated, updated("cy", "Cy", "Cole"), offset: 4, userId: "cy", at: now),
                    try message(
                        Topics.profileAnonymized, ProfileAnonymized(userId: "cy", anonymizedAt: now), offset: 5, userId: "cy",
                        at: now.addingTimeInterval(1)),
                    try message(
                        Topics.profileAnonymized, ProfileAnonymized(userId: "cy", anonymizedAt: now), offset: 6, userId: "cy",
                        at: now.addingTimeInterval(1)),
                ]))
            var names: [String: [String?]] = [:]
            for try await (user, first, last) in try await h.database.query("SELECT user_id, first_name, last_name FROM customer_names")
                .decode((String, String?, String?).self)
            {
                names[user] = [first, last]
            }
            #expect(names == ["ann": ["Ann", "Lee"], "bo": [nil, "Berg"], "cy": [nil, nil]])
            #expect(runSizes.withLock { $0 } == [5, 2])

            // An older event in a later batch changes nothing.
            #expect(
                await consumer.process([
                    try message(Topics.profileUpdated, updated("ann", "Stale", "Stale"), offset: 7, userId: "ann", at: now.addingTimeInterval(-60))
                ]))
            #expect(try await h.database.scalar("SELECT count(*)::int FROM customer_names WHERE user_id = 'ann' AND first_name = 'Ann'") == 1)
        }
    }
}

/// `newestPerKey`, which the batch projections use to write one row per key: no broker, no database.
@Suite struct NewestPerKeyTests {
    @Test func newestPerKeyKeepsTheLatestOccurrenceInArrivalOrder() {
        let topic = Topic<TestPayload>("test.pure")
        let t = Date(timeIntervalSince1970: 1_000)
        func event(_ key: String, _ sequence: Int, _ offset: TimeInterval) -> EventEnvelope<TestPayload> {
            EventEnvelope(
                topic: topic, occurredAt: t.addingTimeInterval(offset), source: "test", correlationId: nil, userId: key,
                payload: TestPayload(sequence: sequence, note: ""))
        }
        let events = [event("a", 1, 2), event("b", 2, 0), event("a", 3, 1), event("c", 4, 0), event("b", 5, 0), event("c", 6, 1)]
        #expect(events.newestPerKey(\.userId).map(\.payload.sequence) == [1, 5, 6])
        #expect([EventEnvelope<TestPayload>]().newestPerKey(\.userId).isEmpty)
    }
}
