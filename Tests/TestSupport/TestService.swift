import Contracts
import EventBus
import Foundation
import Hummingbird
import HummingbirdTesting
import ServiceKit

/// Runs a service the way `serve` does (ServiceAssembly: middleware, migrations, lifecycle
/// services) against the test cluster, and hands `body` its API (the router, at `/v1/customers`)
/// and the running app (its database, jobs and event bus).
public func withTestService<S: ServiceDefinition>(
    _ definition: S.Type,
    overrides: [String: String] = [:],
    setup: TestingSetup = .router,
    _ body: @Sendable (API, ServiceApp) async throws -> Void
) async throws {
    let configuration = try TestEnvironment.configuration(service: S.name, overrides: overrides)
    let app = try await ServiceAssembly.make(S.self, configuration: configuration, logger: TestEnvironment.quietLogger)
    try await app.application.test(setup) { client in
        try await body(API(client), app)
    }
}

/// `withTestService` with a Kafka broker of the test's own: an in-process mock cluster with
/// every platform topic. `body` also gets the broker's bootstrap address (for a
/// `TestPublisher` or a reader).
public func withTestServiceAndBroker<S: ServiceDefinition>(
    _ definition: S.Type,
    overrides: [String: String] = [:],
    _ body: @Sendable (API, ServiceApp, String) async throws -> Void
) async throws {
    // Creating and destroying the cluster blocks (librdkafka joins its threads): off the pool.
    let cluster = try await onAThreadOfItsOwn { Result { try MockKafkaCluster(topics: Topics.allNames, partitions: 3) } }.get()
    let brokers = cluster.bootstrapServers
    do {
        try await withTestService(definition, overrides: overrides.merging(["KAFKA_BROKERS": brokers]) { $1 }) { api, app in
            try await body(api, app, brokers)
        }
    } catch {
        await onAThreadOfItsOwn { cluster.shutdown() }
        throw error
    }
    await onAThreadOfItsOwn { cluster.shutdown() }
}

extension ServiceApp {
    /// Whether the service's inbox has applied the event with this id.
    public func hasProcessed(_ event: UUID) async throws -> Bool {
        try await runtime.database.scalar("SELECT count(*)::int FROM processed_events WHERE event_id = \(event)") == 1
    }
}
