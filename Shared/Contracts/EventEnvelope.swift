#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The value of every Kafka message (CONTRACT §12). The key is `userId`.
public struct EventEnvelope<Payload: EventPayload>: Codable, Sendable {
    @LowercaseID public private(set) var id: UUID
    public let type: String
    public let version: Int
    public let occurredAt: Date
    public let source: String
    /// The request id, or the id of the event that caused this one.
    public let correlationId: String?
    public let userId: String
    public let payload: Payload

    public init(
        id: UUID = UUID(), topic: Topic<Payload>, occurredAt: Date = Date(), source: String,
        correlationId: String?, userId: String, payload: Payload
    ) {
        self.id = id
        self.type = topic.name
        self.version = topic.version
        self.occurredAt = occurredAt
        self.source = source
        self.correlationId = correlationId
        self.userId = userId
        self.payload = payload
    }
}

/// What every payload is: Codable, and safe to hand between tasks.
public typealias EventPayload = Codable & Sendable
