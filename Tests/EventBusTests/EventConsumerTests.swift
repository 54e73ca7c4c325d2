import Contracts
import Foundation
import PostgresNIO
import Synchronization
import TestSupport
import Testing

@testable import EventBus

@Suite(.serialized, .needsTestServers) struct EventConsumerTests {
    /// Handlers record each application in `effects`.
    func handlers(_ h: Harness, failing: Set<Int> = []) -> EventHandlers {
        var handlers = EventHandlers()
        let logger = h.logger
        handlers.on(h.topic) { event, connection in
            if failing.contains(event.payload.sequence) { throw TestFailure("handler refuses \(event.payload.sequence)") }
            try await connection.query("INSERT INTO effects (event_id, sequence) VALUES (\(event.id), \(event.payload.sequence))", logger: logger)
        }
        return handlers
    }

    func effects(_ h: Harness) async throws -> Int { try await h.database.scalar("SELECT count(*)::int FROM effects") }

    func produce(_ h: Harness, _ producer: KafkaProducer, _ value: [UInt8], key: String = "user-1") async throws {
        try await producer.send(OutgoingMessage(topic: h.topic.name, key: key, value: value))
    }

    func envelope(_ h: Harness, _ sequence: Int, id: UUID = UUID()) throws -> [UInt8] {
        Array(
            try JSONCoding.encoder.encode(
                EventEnvelope(
                    id: id, topic: h.topic, source: "test", correlationId: nil, userId: "user-1", payload: TestPayload(sequence: sequence, note: "")))
        )
    }

    @Test func aRedeliveredEventHasItsEffectOnce() async throws {
        try await withHarness { h in
            let producer = try KafkaProducer(h.configuration(), logger: h.logger)
            let consumer = EventConsumer(
                configuration: h.configuration(), handlers: handlers(h), database: h.database, producer: producer, logger: h.logger)
            let id = UUID()
            let message = KafkaMessage(topic: h.topic.name, partition: 0, offset: 7, key: Array("user-1".utf8), value: try envelope(h, 1, id: id))
            // As after a crash before the offset was stored: the same message, processed twice.
            await consumer.process([message])
            await consumer.process([message])
            #expect(try await effects(h) == 1)

            // Through Kafka: the same event published twice.
            try await running([producer, consumer]) {
                try await produce(h, producer, try envelope(h, 2, id: id))
                try await produce(h, producer, try envelope(h, 3))
                try await produce(h, producer, try envelope(h, 3, id: id))
                #expect(try await eventually { try await effects(h) == 2 })
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await effects(h) == 2)
            }
        }
    }

    @Test func poisonMessagesAreDeadLetteredAndConsumptionContinues() async throws {
        try await withHarness { h in
            let producer = try KafkaProducer(h.configuration(), logger: h.logger)
            let consumer = EventConsumer(
                configuration: h.configuration(), handlers: handlers(h, failing: [13]), database: h.database, producer: producer,
                retry: .init(attempts: 3, firstDelay: .milliseconds(10)), logger: h.logger)
            try await running([producer, consumer]) {
                try await produce(h, producer, Array("garbage \u{0}\u{1}".utf8))
                try await produce(
                    h, producer,
                    Array(#"{"id":"6b0f3a6e-7d3c-4c59-9a43-0d6c9d0e7d11","type":"x","userId":"user-1","payload":{"sequence":"not a number"}}"#.utf8))
                try await produce(h, producer, try envelope(h, 13))
                try await produce(h, producer, try envelope(h, 1))
                #expect(try await eventually { try await effects(h) == 1 })
            }
            let letters = try await collect(3, from: h.topic.deadLetterTopic, brokers: h.cluster.bootstrapServers)
            #expect(letters.count == 3)
            let reasons = letters.compactMap { $0.headers["dlq-reason"] }
            #expect(reasons.count == 3)
            #expect(reasons.contains { $0.hasPrefix("undecodable event: not JSON") })
            #expect(reasons.contains { $0.hasPrefix("undecodable event:") && $0.contains("missing field") || $0.contains("wrong type") })
            #expect(reasons.contains { $0.hasPrefix("handler failed 3 times") })
            #expect(letters.allSatisfy { $0.headers["dlq-original-topic"] == h.topic.name && $0.headers["dlq-original-offset"] != nil })
            #expect(letters.first?.value == Array("garbage \u{0}\u{1}".utf8))
            // Nothing of the failing handler's transaction remained, not even the inbox record.
            #expect(try await h.database.scalar("SELECT count(*)::int FROM processed_events") == 1)
        }
    }

    @Test func aRestartedConsumerResumesFromItsCommittedOffset() async throws {
        try await withHarness { h in
            let group = "resume-\(UUID().uuidString.prefix(8))"
            let producer = try KafkaProducer(h.configuration(), logger: h.logger)
            try await running([producer]) {
                for sequence in 0..<10 { try await produce(h, producer, try envelope(h, sequence)) }
                let consumer = EventConsumer(
                    configuration: h.configuration(group: group), handlers: handlers(h), database: h.database, producer: producer, logger: h.logger)
                try await running([consumer]) {
                    let processed = try await eventually { try await effects(h) == 10 }
                    #expect(processed)
                }
                // The consumer committed what it processed when it closed: a new member of the
                // same group starts right after the last processed message. (The mock cluster
                // delays any rebalance by the session timeout less 1 s, so rejoin speed is not
                // measured here; on a real broker LeaveGroup rebalances at once.)
                let marker = UUID()
                try await produce(h, producer, try envelope(h, 99, id: marker))
                let next = try await collectInGroup(group, h)
                #expect(try next.map { try decode($0).id } == [marker])
            }
        }
    }

    func collectInGroup(_ group: String, _ h: Harness) async throws -> [KafkaMessage] {
        let consumer = try KafkaConsumer(h.configuration(group: group), topics: [h.topic.name], logger: h.logger)
        let first = Task { () -> [KafkaMessage] in
            for await batch in consumer.batches { return batch }
            return []
        }
        let watchdog = Task {
            try? await Task.sleep(for: .seconds(20))
            consumer.stopPolling()
        }
        let messages = await first.value
        watchdog.cancel()
        await consumer.close()
        return messages
    }

    @Test func crashBetweenProducingAndMarkingRepublishesAndTheInboxAbsorbsIt() async throws {
        try await withHarness { h in
            let producer = try KafkaProducer(h.configuration(), logger: h.logger)
            let events = try await h.commit((0..<20).map { TestPayload(sequence: $0, note: "") })
            // A relay that produced these rows and died before marking them published.
            try await running([producer]) {
                for event in events {
                    try await produce(h, producer, Array(try JSONCoding.encoder.encode(event)))
                }
            }
            #expect(try await h.unpublishedCount() == 20)
            let producer2 = try KafkaProducer(h.configuration(), logger: h.logger)
            let relay = OutboxRelay(database: h.database, producer: producer2, outbox: h.outbox, logger: h.logger)
            let consumer = EventConsumer(
                configuration: h.configuration(), handlers: handlers(h), database: h.database, producer: producer2, logger: h.logger)
            try await running([producer2, relay, consumer]) {
                #expect(try await eventually { try await h.unpublishedCount() == 0 })
                #expect(try await eventually { try await effects(h) == 20 })
                let all = try await collect(40, from: h.topic.name, brokers: h.cluster.bootstrapServers)
                #expect(all.count == 40)
                try await Task.sleep(for: .milliseconds(500))
                #expect(try await effects(h) == 20)
            }
        }
    }
}
