import Foundation
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Storage

/// Consumes a service's topics with exactly-once effect (ARCHITECTURE §5).
///
/// For each message, in one transaction: record the event id in `processed_events` (a
/// duplicate is skipped) and run the handler. Only after the commit is the offset stored. A
/// message that cannot be decoded goes straight to `<topic>.dlq`; a handler that keeps
/// failing is retried with backoff, then dead-lettered. Either way consumption continues.
public final class EventConsumer: Service, Sendable {
    public struct RetryPolicy: Sendable {
        public var attempts: Int
        public var firstDelay: Duration
        public init(attempts: Int = 4, firstDelay: Duration = .milliseconds(100)) {
            self.attempts = attempts
            self.firstDelay = firstDelay
        }
    }

    private let configuration: KafkaConfiguration
    private let handlers: EventHandlers
    private let database: Database
    private let producer: KafkaProducer
    private let retry: RetryPolicy
    private let logger: Logger
    private let ready: Latch

    /// - Parameter ready: opened once the inbox table exists (after migrations).
    public init(
        configuration: KafkaConfiguration, handlers: EventHandlers, database: Database,
        producer: KafkaProducer, retry: RetryPolicy = .init(), ready: Latch = Latch(open: true), logger: Logger
    ) {
        self.ready = ready
        self.configuration = configuration
        self.handlers = handlers
        self.database = database
        self.producer = producer
        self.retry = retry
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.ready.wait() }
        if Task.isShuttingDownGracefully { return }
        let consumer = try KafkaConsumer(configuration, topics: handlers.topics, logger: logger)
        await withGracefulShutdownHandler {
            for await message in consumer.messages {
                await process(message)
                consumer.done(message)
                if consumer.isStopping { break }
            }
        } onGracefulShutdown: {
            consumer.stopPolling()
        }
        // Leaves the group and commits what was processed.
        await consumer.close()
        logger.info("event consumer left its group", metadata: ["group": "\(configuration.groupId)"])
    }

    /// Handles one message to its end: applied, skipped as a duplicate, or dead-lettered.
    func process(_ message: KafkaMessage) async {
        let topic = message.topic
        guard let decode = handlers.decoders[topic] else { return }
        let event: any DecodedEvent
        do {
            event = try decode(message.value)
        } catch {
            await deadLetter(message, reason: "undecodable event: \(Self.describe(error))")
            return
        }
        var delay = retry.firstDelay
        for attempt in 1...retry.attempts {
            let started = ContinuousClock.now
            do {
                let applied = try await apply(event, topic: topic)
                Counter(label: applied ? "events_consumed_total" : "events_duplicate_total", dimensions: [("topic", topic)]).increment()
                Timer(label: "event_handler_duration_seconds", dimensions: [("topic", topic)])
                    .recordNanoseconds(Int64((ContinuousClock.now - started).components.attoseconds / 1_000_000_000 + (ContinuousClock.now - started).components.seconds * 1_000_000_000))
                return
            } catch {
                guard attempt < retry.attempts else {
                    await deadLetter(message, reason: "handler failed \(attempt) times: \(Self.describe(error))")
                    return
                }
                logger.warning("event handler failed, retrying", metadata: [
                    "topic": "\(topic)", "eventId": "\(event.id)", "attempt": "\(attempt)", "error": "\(error)",
                ])
                try? await Task.sleep(for: delay)
                delay *= 4
            }
        }
    }

    /// Returns false when the event had been processed before.
    private func apply(_ event: any DecodedEvent, topic: String) async throws -> Bool {
        let logger = self.logger
        return try await database.transaction { connection in
            let inserted = try await connection.query("""
                INSERT INTO processed_events (event_id, topic) VALUES (\(event.id), \(topic))
                ON CONFLICT (event_id) DO NOTHING RETURNING 1
                """, logger: logger)
            var isNew = false
            for try await _ in inserted { isNew = true }
            guard isNew else { return false }
            try await event.apply(on: connection)
            return true
        }
    }

    /// Publishes the original bytes to `<topic>.dlq` with the reason and the original
    /// coordinates in headers. If even that fails the offset is not stored and the message
    /// comes back after a restart: never dropped silently.
    private func deadLetter(_ message: KafkaMessage, reason: String) async {
        logger.error("event dead-lettered", metadata: [
            "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)", "reason": "\(reason)",
        ])
        let letter = OutgoingMessage(
            topic: message.topic + ".dlq",
            key: message.key.map { String(decoding: $0, as: UTF8.self) } ?? "",
            value: message.value,
            headers: [
                ("dlq-reason", reason),
                ("dlq-original-topic", message.topic),
                ("dlq-original-partition", String(message.partition)),
                ("dlq-original-offset", String(message.offset)),
                ("dlq-consumer-group", configuration.groupId),
            ])
        var delay = Duration.milliseconds(200)
        while true {
            do {
                try await producer.send(letter)
                Counter(label: "events_dead_lettered_total", dimensions: [("topic", message.topic)]).increment()
                return
            } catch {
                logger.warning("dead-lettering failed, retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing field \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "invalid value at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return String(describing: error)
        }
    }
}
