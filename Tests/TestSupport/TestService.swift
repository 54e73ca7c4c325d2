import Contracts
import EventBus
import Foundation
import Hummingbird
import HummingbirdTesting
import ServiceKit

/// Runs a service the way `serve` does (ServiceAssembly: middleware, migrations, lifecycle
/// services) against the test cluster, and hands `body` a client for its router.
public func withTestService<S: ServiceDefinition>(
    _ definition: S.Type,
    overrides: [String: String] = [:],
    setup: TestingSetup = .router,
    _ body: @Sendable (any TestClientProtocol, ServiceApp) async throws -> Void
) async throws {
    let configuration = try TestEnvironment.configuration(service: S.name, overrides: overrides)
    let app = try await ServiceAssembly.make(S.self, configuration: configuration, logger: TestEnvironment.quietLogger)
    try await app.application.test(setup) { client in
        try await body(client, app)
    }
}

extension TestResponse {
    /// The body as a JSON object (fails the test with the body's text when it is not one).
    public func json() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView))
        guard let dictionary = object as? [String: Any] else {
            throw TestFailure("not a JSON object: \(String(buffer: body))")
        }
        return dictionary
    }

    /// `error.code` of an error envelope.
    public func errorCode() throws -> String? {
        ((try json()["error"]) as? [String: Any])?["code"] as? String
    }

    /// `error.details` of an error envelope, as `field: message`.
    public func errorDetails() throws -> [String: String] {
        let details = ((try json()["error"]) as? [String: Any])?["details"] as? [[String: Any]] ?? []
        return Dictionary(details.map { ($0["field"] as? String ?? "", $0["message"] as? String ?? "") }) { first, _ in first }
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Headers with a bearer token.
public func bearer(_ token: String, _ extra: HTTPFields = [:]) -> HTTPFields {
    var headers = extra
    headers[.authorization] = "Bearer \(token)"
    return headers
}

/// A JSON request body.
public func jsonBody(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

public let jsonHeaders: HTTPFields = [.contentType: "application/json"]

/// `withTestService` with a Kafka broker of the test's own: an in-process mock cluster with
/// every platform topic. `body` also gets the broker's bootstrap address (for a
/// `TestPublisher` or a reader).
public func withTestServiceAndBroker<S: ServiceDefinition>(
    _ definition: S.Type,
    overrides: [String: String] = [:],
    _ body: @Sendable (any TestClientProtocol, ServiceApp, String) async throws -> Void
) async throws {
    // Creating and destroying the cluster blocks (librdkafka joins its threads): off the pool.
    let cluster = try await onAThreadOfItsOwn { Result { try MockKafkaCluster(topics: Topics.allNames, partitions: 3) } }.get()
    let brokers = cluster.bootstrapServers
    do {
        try await withTestService(definition, overrides: overrides.merging(["KAFKA_BROKERS": brokers]) { $1 }) { client, app in
            try await body(client, app, brokers)
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
