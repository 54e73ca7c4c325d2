import Foundation
import PostgresNIO
import Storage

/// The topics a service consumes and what it does with each event:
///
///     var handlers = EventHandlers()
///     handlers.on(Topics.orderPaymentSucceeded) { event, connection in … }
///
/// A handler runs inside the inbox transaction: its writes commit together with the record
/// that the event was processed, or not at all. A topic may have several handlers (a shared
/// projection and the context's own reaction to the same event): they run in the order they
/// were registered, in that one transaction.
public struct EventHandlers: Sendable {
    public typealias Handler<Payload: EventPayload> = @Sendable (EventEnvelope<Payload>, PostgresConnection) async throws -> Void

    private(set) var decoders: [String: @Sendable ([UInt8]) throws -> any DecodedEvent] = [:]
    /// Each topic's handlers chained into one `Handler<Payload>`, kept to chain the next one on.
    private var chains: [String: any Sendable] = [:]

    public init() {}

    public mutating func on<Payload>(_ topic: Topic<Payload>, _ handler: @escaping Handler<Payload>) {
        var chain = handler
        if let registered = chains[topic.name] {
            guard let earlier = registered as? Handler<Payload> else {
                preconditionFailure("\(topic.name) has handlers for two payload types")
            }
            chain = { event, connection in
                try await earlier(event, connection)
                try await handler(event, connection)
            }
        }
        chains[topic.name] = chain
        decoders[topic.name] = { [chain] bytes in
            BoundEvent(topic: topic.name, envelope: try JSONCoding.decoder.decode(EventEnvelope<Payload>.self, from: Data(bytes)), handler: chain)
        }
    }

    public var topics: [String] { decoders.keys.sorted() }
    public var isEmpty: Bool { decoders.isEmpty }
}

/// An event decoded for its topic, ready to apply.
protocol DecodedEvent: Sendable {
    var id: UUID { get }
    var topic: String { get }
    func apply(on connection: PostgresConnection) async throws
}

struct BoundEvent<Payload: EventPayload>: DecodedEvent {
    let topic: String
    let envelope: EventEnvelope<Payload>
    let handler: EventHandlers.Handler<Payload>

    var id: UUID { envelope.id }
    func apply(on connection: PostgresConnection) async throws {
        try await handler(envelope, connection)
    }
}
