import EventBus
import Foundation
import HummingbirdTesting
import ServiceKit
import ServiceLifecycle
import Testing
import TestSupport

/// The event bus as every service gets it from `ServiceAssembly`: outbox in the route's
/// transaction, relay, consumer with the service's handlers, readiness.
@Suite(.serialized) struct EventWiringTests {
    @Test func aRouteEventTravelsThroughKafkaBackIntoTheServicesHandler() async throws {
        // A cluster of its own: topic and consumer group are this test's alone.
        let cluster = try MockKafkaCluster()
        defer { cluster.shutdown() }
        try await withTestService(ProbeService.self, overrides: ["KAFKA_BROKERS": cluster.bootstrapServers]) { client, app in
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            var widgetId = ""
            try await client.execute(
                uri: "/v1/customers/widgets", method: .post, headers: bearer(token, jsonHeaders),
                body: jsonBody(#"{"name":"event-\#(UUID().uuidString.prefix(8))","size":2}"#)
            ) { (response: TestResponse) async throws in
                #expect(response.status == .created)
                widgetId = try #require((response.json()["data"] as? [String: Any])?["id"] as? String)
            }
            let database = app.runtime.database
            var seen = false
            for _ in 0..<200 where !seen {
                seen = try await database.scalar("SELECT count(*)::int FROM widget_events WHERE widget_id = \(UUID(uuidString: widgetId)!)") == 1
                if !seen { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(seen)
            #expect(try await database.scalar("SELECT count(*)::int FROM outbox WHERE published_at IS NULL") == 0)
            #expect(try await database.scalar("SELECT count(*)::int FROM processed_events") == 1)
            try await client.execute(uri: "/health/ready", method: .get) { (response: TestResponse) async throws in
                let json = try response.json()
                #expect(json["status"] as? String == "ok")
                #expect((json["checks"] as? [String: String])?["kafka"] == "ok")
                #expect(json["outboxLag"] as? Double == 0)
            }
        }
    }

    @Test func aServiceWhoseBrokerIsUnreachableStartsAndReportsKafkaDegraded() async throws {
        let port = try freePort()
        try await withTestService(ProbeService.self, overrides: ["KAFKA_BROKERS": "127.0.0.1:\(port)"]) { client, _ in
            try await client.execute(uri: "/health", method: .get) { (response: TestResponse) async throws in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/health/ready", method: .get) { (response: TestResponse) async throws in
                #expect(response.status == .ok)
                let json = try response.json()
                #expect(json["status"] as? String == "degraded")
                #expect((json["checks"] as? [String: String])?["kafka"] == "down")
            }
            // Writes still succeed: their events wait in the outbox.
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            try await client.execute(
                uri: "/v1/customers/widgets", method: .post, headers: bearer(token, jsonHeaders),
                body: jsonBody(#"{"name":"offline-\#(UUID().uuidString.prefix(8))","size":1}"#)
            ) { (response: TestResponse) async throws in
                #expect(response.status == .created)
            }
        }
    }
}

@Suite struct GracefulShutdownTests {
    /// ARCHITECTURE §11: HTTP drains, then the consumer leaves its group, the relay stops,
    /// the producer flushes, and the pool closes — in that order.
    @Test func shutdownStopsTheEventBusBeforeTheDatabase() async throws {
        let cluster = try MockKafkaCluster()
        defer { cluster.shutdown() }
        let recorder = LogRecorder()
        let configuration = try TestEnvironment.configuration(service: ProbeService.name, overrides: [
            "KAFKA_BROKERS": cluster.bootstrapServers, "PORT": String(try freePort()),
        ])
        let app = try await ServiceAssembly.make(ProbeService.self, configuration: configuration, logger: recorder.logger())
        let group = ServiceGroup(configuration: .init(services: [app.application], gracefulShutdownSignals: [], logger: TestEnvironment.quietLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Wait until the consumer is up, then shut down.
            for _ in 0..<100 where try await app.runtime.database.scalar("SELECT count(*)::int FROM pg_tables WHERE tablename = 'processed_events' AND schemaname = \(configuration.database.schema)") == 0 {
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .milliseconds(500))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let messages = recorder.messages
        let order = ["event consumer left its group", "outbox relay stopped", "Kafka producer flushed and closed", "database pool closed"]
        let positions = order.map { step in messages.firstIndex(of: step) }
        #expect(!positions.contains(nil), "\(messages)")
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted(), "\(messages)")
    }
}
