import Contracts
import EventBus
import Foundation

/// Publishes events to a test's Kafka as another platform service would: the contract's
/// envelope, keyed by user id.
public struct TestPublisher: Sendable {
    let producer: KafkaProducer

    public init(brokers: String) throws {
        producer = try KafkaProducer(
            KafkaConfiguration(brokers: brokers, clientId: "test-publisher", groupId: "unused"), logger: TestEnvironment.quietLogger)
    }

    /// Sends the event `times` times with the same id (a redelivery) and returns it.
    @discardableResult
    public func publish<Payload>(
        _ topic: Topic<Payload>, _ payload: Payload, userId: String, id: UUID = UUID(), occurredAt: Date = Date(),
        source: String = "test", times: Int = 1
    ) async throws -> EventEnvelope<Payload> {
        let event = EventEnvelope(id: id, topic: topic, occurredAt: occurredAt, source: source, correlationId: nil, userId: userId, payload: payload)
        let value = Array(try JSONCoding.encoder.encode(event))
        for _ in 0..<times {
            try await producer.send(OutgoingMessage(topic: topic.name, key: userId, value: value))
        }
        return event
    }

    /// `customer.profile.updated` as profiles sends it when a customer's name changes: what the
    /// name projections (reviewer and referrer names) read.
    @discardableResult
    public func publishName(
        _ firstName: String, _ lastName: String, of userId: String, changedFields: [String] = ["firstName", "lastName"],
        email: String? = nil, occurredAt: Date = Date()
    ) async throws -> EventEnvelope<ProfileUpdated> {
        let payload = ProfileUpdated(
            userId: userId, action: .updated, changedFields: changedFields, firstName: firstName, lastName: lastName, email: email, phone: nil)
        return try await publish(Topics.profileUpdated, payload, userId: userId, occurredAt: occurredAt, source: "profiles")
    }

    /// Sends bytes that are not an envelope (a message a consumer must dead-letter).
    public func publishRaw(_ value: String, to topic: String, key: String) async throws {
        try await producer.send(OutgoingMessage(topic: topic, key: key, value: Array(value.utf8)))
    }

    public func shutdown() async {
        await producer.shutdown()
    }
}
