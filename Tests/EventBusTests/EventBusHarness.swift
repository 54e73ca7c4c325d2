import Contracts
import Foundation
import ServiceLifecycle
import Storage
import TestSupport
import Testing

@testable import EventBus

/// A test's own Kafka (an in-process mock cluster), schema, producer and relay.
struct TestPayload: EventPayload, Equatable {
    var sequence: Int
    var note: String
}

struct Harness: Sendable {
    let cluster: MockKafkaCluster
    let database: Database
    let schema: String
    let topic: Topic<TestPayload>
    let kafka: KafkaConfiguration
    let outbox: Outbox
    let logger = TestEnvironment.quietLogger

    func configuration(
        group: String = "group-\(UUID().uuidString.prefix(8))", sessionTimeoutMs: Int = 6000, messageTimeoutMs: Int = 10_000
    ) -> KafkaConfiguration {
        KafkaConfiguration(
            brokers: cluster.bootstrapServers, clientId: "test", groupId: group, sessionTimeoutMs: sessionTimeoutMs,
            messageTimeoutMs: messageTimeoutMs)
    }

    /// Writes events in one committed transaction.
    func commit(_ payloads: [TestPayload], userId: String = "user-1") async throws -> [EventEnvelope<TestPayload>] {
        let outbox = self.outbox
        let topic = self.topic
        let logger = self.logger
        return try await database.transaction { connection in
            var events: [EventEnvelope<TestPayload>] = []
            for payload in payloads {
                events.append(
                    try await outbox.enqueue(topic, userId: userId, payload: payload, correlationId: "test", on: connection, logger: logger))
            }
            return events
        }
    }

    func unpublishedCount() async throws -> Int {
        try await database.scalar("SELECT count(*)::int FROM outbox WHERE published_at IS NULL")
    }
}

/// Runs `body` with a fresh mock cluster, schema (event-bus tables migrated plus a
/// `effects` table handlers write to) and topic.
func withHarness(_ body: @Sendable (Harness) async throws -> Void) async throws {
    let cluster = try MockKafkaCluster(partitions: 3)
    defer { cluster.shutdown() }
    let schema = TestEnvironment.uniqueSchema("bus")
    let topic = Topic<TestPayload>("test.events.\(UUID().uuidString.prefix(8).lowercased())")
    try cluster.createTopic(topic.name, partitions: 3)
    try cluster.createTopic(topic.deadLetterTopic, partitions: 1)
    try await withDatabase(schema: schema, maxConnections: 8) { database in
        _ = try await MigrationRunner(
            database: database,
            migrations: [
                Migration(1, "effects", "CREATE TABLE effects (event_id uuid, sequence int, applied_at timestamptz DEFAULT clock_timestamp())")
            ]
                + EventBusMigrations.all,
            logger: TestEnvironment.quietLogger
        ).run()
        let harness = Harness(
            cluster: cluster, database: database, schema: schema, topic: topic,
            kafka: KafkaConfiguration(brokers: cluster.bootstrapServers, clientId: "test", groupId: "unused"),
            outbox: Outbox(source: "test", schema: schema))
        try await body(harness)
    }
}

/// Runs services (relay, consumer, producer) in a group until `body` returns, then shuts
/// them down gracefully.
func running(_ services: [any Service], _ body: @Sendable () async throws -> Void) async throws {
    let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [], logger: TestEnvironment.quietLogger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            try await body()
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

func decode(_ message: KafkaMessage) throws -> EventEnvelope<TestPayload> {
    try JSONCoding.decoder.decode(EventEnvelope<TestPayload>.self, from: Data(message.value))
}
