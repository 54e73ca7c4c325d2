import Foundation
import TestSupport
import Testing

@testable import EventBus

@Suite(.serialized, .needsTestServers) struct OutboxRelayTests {
    @Test func aCommittedEventArrivesWithItsEnvelopeAndARolledBackOneNever() async throws {
        try await withHarness { h in
            let producer = try KafkaProducer(h.configuration(), logger: h.logger)
            let relay = OutboxRelay(database: h.database, producer: producer, outbox: h.outbox, logger: h.logger)
            try await running([producer, relay]) {
                struct Rollback: Error {}
                let outbox = h.outbox
                let topic = h.topic
                let logger = h.logger
                await #expect(throws: Rollback.self) {
                    try await h.database.transaction { connection in
                        try await outbox.enqueue(
                            topic, userId: "user-1", payload: TestPayload(sequence: 0, note: "rolled back"), correlationId: nil, on: connection,
                            logger: logger)
                        throw Rollback()
                    }
                }
                let sent = try await h.commit([TestPayload(sequence: 1, note: "committed")])
                let received = try await collect(2, from: h.topic.name, brokers: h.cluster.bootstrapServers, timeout: .seconds(5))
                #expect(received.count == 1)
                let message = try #require(received.first)
                #expect(message.key.map { String(decoding: $0, as: UTF8.self) } == "user-1")
                let event = try decode(message)
                #expect(event.id == sent[0].id)
                #expect(event.type == h.topic.name && event.version == 1 && event.source == "test")
                #expect(event.userId == "user-1" && event.correlationId == "test")
                #expect(event.payload == TestPayload(sequence: 1, note: "committed"))
                #expect(abs(event.occurredAt.timeIntervalSince(sent[0].occurredAt)) < 0.001)
                #expect(try await h.unpublishedCount() == 0)
            }
        }
    }

    @Test func oneUsersThousandEventsArriveInOrder() async throws {
        try await withHarness { h in
            let producer = try KafkaProducer(h.configuration(), logger: h.logger)
            let relay = OutboxRelay(database: h.database, producer: producer, outbox: h.outbox, logger: h.logger)
            try await running([producer, relay]) {
                for batch in 0..<10 {
                    _ = try await h.commit((0..<100).map { TestPayload(sequence: batch * 100 + $0, note: "") }, userId: "ordered-user")
                }
                let received = try await collect(1000, from: h.topic.name, brokers: h.cluster.bootstrapServers)
                #expect(received.count == 1000)
                #expect(try received.map { try decode($0).payload.sequence } == Array(0..<1000))
                #expect(Set(received.map(\.partition)).count == 1)
            }
        }
    }

    @Test func eventsWaitOutABrokerOutageAndThenDrain() async throws {
        try await withHarness { h in
            let producer = try KafkaProducer(h.configuration(messageTimeoutMs: 1500), logger: h.logger)
            let relay = OutboxRelay(database: h.database, producer: producer, outbox: h.outbox, logger: h.logger)
            try await running([producer, relay]) {
                h.cluster.setAvailable(false)
                _ = try await h.commit((0..<50).map { TestPayload(sequence: $0, note: "during outage") })
                try await Task.sleep(for: .seconds(2))
                #expect(try await h.unpublishedCount() == 50)
                #expect(try await Outbox.lagSeconds(h.database) >= 1.5)
                h.cluster.setAvailable(true)
                #expect(try await eventually { try await h.unpublishedCount() == 0 })
                let received = try await collect(50, from: h.topic.name, brokers: h.cluster.bootstrapServers)
                // At least once: a delivery that timed out may have reached the broker too.
                #expect(Set(try received.map { try decode($0).payload.sequence }) == Set(0..<50))
            }
        }
    }
}
