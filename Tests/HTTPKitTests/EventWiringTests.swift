import Contracts
import EventBus
import Foundation
import Hummingbird
import ServiceKit
import ServiceLifecycle
import TestSupport
import Testing

/// The event bus as every service gets it from `ServiceAssembly`: outbox in the route's
/// transaction, relay, consumer with the service's handlers, readiness.
@Suite(.serialized, .needsTestServers) struct EventWiringTests {
    @Test func aRouteEventTravelsThroughKafkaBackIntoTheServicesHandler() async throws {
        // A cluster of its own: topic and consumer group are this test's alone.
        let cluster = try MockKafkaCluster()
        defer { cluster.shutdown() }
        try await withTestService(ProbeService.self, overrides: ["KAFKA_BROKERS": cluster.bootstrapServers]) { api, app in
            let created = try await api.post(
                "/widgets", as: TestEnvironment.uniqueUser(), body: ["name": "event-\(UUID().uuidString.prefix(8))", "size": 2])
            #expect(created.status == .created)
            let widgetId = try created.data(ProbeService.Widget.self).id
            let database = app.runtime.database
            var seen = false
            for _ in 0..<200 where !seen {
                seen = try await database.scalar("SELECT count(*)::int FROM widget_events WHERE widget_id = \(widgetId)") == 1
                if !seen { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(seen)
            #expect(try await database.scalar("SELECT count(*)::int FROM outbox WHERE published_at IS NULL") == 0)
            #expect(try await database.scalar("SELECT count(*)::int FROM processed_events") == 1)
            // A probe can be slow on a loaded machine (the suite runs eight tests at a time): the
            // service must report itself ready, not on the first ask.
            var ready = try await api.at("").get("/health/ready", as: nil).decode(Readiness.self)
            for _ in 0..<10 where ready.status != "ok" {
                try await Task.sleep(for: .milliseconds(500))
                ready = try await api.at("").get("/health/ready", as: nil).decode(Readiness.self)
            }
            #expect(ready.status == "ok")
            #expect(ready.checks["kafka"] == "ok")
            #expect(ready.outboxLag == 0)
        }
    }

    @Test func aServiceWhoseBrokerIsUnreachableStartsAndReportsKafkaDown() async throws {
        let port = try freePort()
        try await withProbe(overrides: ["KAFKA_BROKERS": "127.0.0.1:\(port)"]) { _, root in
            #expect(try await root.get("/health", as: nil).status == .ok)
            let answer = try await root.get("/health/ready", as: nil)
            #expect(answer.status == .ok)
            let ready = try answer.decode(Readiness.self)
            #expect(ready.status == "degraded")
            #expect(ready.checks["kafka"] == "down")
        }
    }

    /// Writes still succeed while the broker cannot be reached: their events wait in the outbox.
    @Test func writesSucceedWhileTheBrokerIsUnreachable() async throws {
        let port = try freePort()
        try await withProbe(overrides: ["KAFKA_BROKERS": "127.0.0.1:\(port)"]) { (api, _) async throws in
            let body: JSONValue = ["name": "offline-\(UUID().uuidString.prefix(8))", "size": 1]
            #expect(try await api.post("/widgets", as: TestEnvironment.uniqueUser(), body: body).status == .created)
        }
    }
}

@Suite(.needsTestServers) struct GracefulShutdownTests {
    /// ARCHITECTURE §11: HTTP drains, then the consumer leaves its group, the relay stops,
    /// the producer flushes, and the pool closes — in that order.
    @Test func shutdownStopsTheEventBusBeforeTheDatabase() async throws {
        let cluster = try MockKafkaCluster()
        defer { cluster.shutdown() }
        let recorder = LogRecorder()
        let configuration = try TestEnvironment.configuration(
            service: ProbeService.name,
            overrides: [
                "KAFKA_BROKERS": cluster.bootstrapServers, "PORT": String(try freePort()),
            ])
        let app = try await ServiceAssembly.make(ProbeService.self, configuration: configuration, logger: recorder.logger())
        let group = ServiceGroup(configuration: .init(services: [app.application], gracefulShutdownSignals: [], logger: TestEnvironment.quietLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Wait until the consumer is up, then shut down.
            for _ in 0..<100
            where try await app.runtime.database.scalar(
                """
                SELECT count(*)::int FROM pg_tables WHERE tablename = 'processed_events' AND schemaname = \(configuration.database.schema)
                """) == 0
            {
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
