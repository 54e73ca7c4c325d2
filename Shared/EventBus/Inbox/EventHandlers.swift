import Contracts
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The topics a service consumes and what it does with each event:
///
///     var handlers = EventHandlers()
///     handlers.on(Topics.orderPaymentSucceeded) { event, connection in … }
///
/// A handler runs inside the inbox transaction: its writes commit together with the record
/// that the event was processed, or not at all. A topic may have several handlers (a shared
/// projection and the context's own reaction to the same event): they run in the order they
/// were registered, in that one transaction.
///
/// A hot topic may take its events a run at a time instead (`onBatch`): the consumer hands
/// it each run of consecutive new events of that topic in a batch, in order, so a projection
/// can write the whole run in one statement rather than one round trip per event.
public struct EventHandlers: Sendable {
    public typealias Handler<Payload: EventPayload> = @Sendable (EventEnvelope<Payload>, PostgresConnection) async throws -> Void
    public typealias BatchHandler<Payload: EventPayload> = @Sendable ([EventEnvelope<Payload>], PostgresConnection) async throws -> Void

    /// What the consumer does with each topic: decode a message, apply a run of decoded events.
    struct TopicHandling: Sendable {
        let decode: @Sendable ([UInt8]) throws -> any DecodedEvent
        let apply: @Sendable ([any DecodedEvent], PostgresConnection) async throws -> Void
    }

    private(set) var byTopic: [String: TopicHandling] = [:]
    /// Each topic's handlers chained into one `BatchHandler<Payload>`, kept to chain the next one on.
    private var chains: [String: any Sendable] = [:]
    /// Topics whose handlers were wrapped (`wrap`), so that none can be added after them.
    private var wrapped: Set<String> = []

    public init() {}

    public mutating func on<Payload>(_ topic: Topic<Payload>, _ handler: @escaping Handler<Payload>) {
        onBatch(topic) { events, connection in
            for event in events { try await handler(event, connection) }
        }
    }

    /// Registers a handler that receives a run of consecutive events of `topic` (at least
    /// one), in the order they were consumed. Each handler of a topic sees the whole run
    /// before the next handler runs.
    public mutating func onBatch<Payload>(_ topic: Topic<Payload>, _ handler: @escaping BatchHandler<Payload>) {
        precondition(!wrapped.contains(topic.name), "register \(topic.name) handlers before the code that wraps them")
        var chain = handler
        if let earlier = self.chain(of: topic) {
            chain = { events, connection in
                try await earlier(events, connection)
                try await handler(events, connection)
            }
        }
        install(topic, chain)
    }

    /// Replaces the handlers registered so far for `topic` (nil when there are none) with what
    /// `wrapper` makes of them, and returns them, so that code can run them itself as well as
    /// around the events; no handler can be registered for `topic` afterwards.
    @discardableResult
    public mutating func wrap<Payload>(
        _ topic: Topic<Payload>, _ wrapper: (@escaping BatchHandler<Payload>) -> BatchHandler<Payload>
    ) -> BatchHandler<Payload>? {
        wrapped.insert(topic.name)
        guard let handlers = chain(of: topic) else { return nil }
        install(topic, wrapper(handlers))
        return handlers
    }

    /// The handlers registered so far for `topic`, chained into one.
    private func chain<Payload>(of topic: Topic<Payload>) -> BatchHandler<Payload>? {
        guard let registered = chains[topic.name] else { return nil }
        guard let chain = registered as? BatchHandler<Payload> else {
            preconditionFailure("\(topic.name) has handlers for two payload types")
        }
        return chain
    }

    /// Makes `chain` the whole of what `topic`'s events do.
    private mutating func install<Payload>(_ topic: Topic<Payload>, _ chain: @escaping BatchHandler<Payload>) {
        chains[topic.name] = chain
        byTopic[topic.name] = TopicHandling(
            decode: { bytes in
                BoundEvent(topic: topic.name, envelope: try JSONCoding.decoder.decode(EventEnvelope<Payload>.self, from: Data(bytes)))
            },
            apply: { events, connection in
                // The consumer groups a run by topic, and this topic's `decode` made each of them.
                try await chain(events.map { ($0 as! BoundEvent<Payload>).envelope }, connection)
            })
    }

    public var topics: [String] { byTopic.keys.sorted() }
    public var isEmpty: Bool { byTopic.isEmpty }
}

/// An event decoded for its topic, ready to apply.
protocol DecodedEvent: Sendable {
    var id: UUID { get }
    var topic: String { get }
}

struct BoundEvent<Payload: EventPayload>: DecodedEvent {
    let topic: String
    let envelope: EventEnvelope<Payload>

    var id: UUID { envelope.id }
}

extension Array {
    /// For a projection's batch upsert: the newest event per key (by `occurredAt`; of equal
    /// times the later one, as arrival order decides for single events), in their original
    /// order. One `INSERT … ON CONFLICT DO UPDATE` may not touch a row twice.
    public func newestPerKey<Payload, Key: Hashable>(_ key: (EventEnvelope<Payload>) -> Key) -> [EventEnvelope<Payload>]
    where Element == EventEnvelope<Payload> {
        var newest: [Key: Int] = [:]
        for (index, event) in enumerated() {
            let k = key(event)
            if let kept = newest[k], self[kept].occurredAt > event.occurredAt { continue }
            newest[k] = index
        }
        return newest.values.sorted().map { self[$0] }
    }
}
