import Contracts
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Consumes a service's topics with exactly-once effect (ARCHITECTURE §5).
///
/// Messages arrive in batches (whatever the broker had ready, up to 500). A batch is applied
/// in one transaction, in order: record the event ids in `processed_events` (duplicates are
/// skipped) and run the handlers of the new ones, each run of consecutive events of one
/// topic handed to that topic's handlers together (`EventHandlers.onBatch`). Only after the commit are the offsets
/// stored. If the batch transaction fails, its events are applied one by one, each with its
/// own retries, so one bad event cannot hold back the others. A message that cannot be
/// decoded goes straight to `<topic>.dlq`; a handler that keeps failing is retried with
/// backoff, then dead-lettered. Either way consumption continues.
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
    /// One set of metric handles per consumed topic, made once rather than per event.
    private let metrics: [String: TopicMetrics]

    private struct TopicMetrics {
        let consumed: Counter
        let duplicate: Counter
        let deadLettered: Counter
        let duration: Timer

        init(_ topic: String) {
            consumed = Counter(label: "events_consumed_total", dimensions: [("topic", topic)])
            duplicate = Counter(label: "events_duplicate_total", dimensions: [("topic", topic)])
            deadLettered = Counter(label: "events_dead_lettered_total", dimensions: [("topic", topic)])
            duration = Timer(label: "event_handler_duration_seconds", dimensions: [("topic", topic)])
        }
    }

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
        self.metrics = Dictionary(uniqueKeysWithValues: handlers.topics.map { ($0, TopicMetrics($0)) })
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.ready.wait() }
        if Task.isShuttingDownGracefully { return }
        let consumer = try KafkaConsumer(configuration, topics: handlers.topics, logger: logger)
        await withGracefulShutdownHandler {
            for await batch in consumer.batches {
                // An unfinished batch (shutdown while the database or broker was away) keeps
                // its offsets unstored: the messages come back after the restart.
                guard await process(batch) else { break }
                consumer.done(batch)
                if consumer.isStopping { break }
            }
        } onGracefulShutdown: {
            consumer.stopPolling()
        }
        // Leaves the group and commits what was processed.
        await consumer.close()
        logger.info("event consumer left its group", metadata: ["group": "\(configuration.groupId)"])
    }

    /// Handles a batch to its end: each message applied, skipped as a duplicate, or
    /// dead-lettered. Returns false if shutdown interrupted it before that.
    @discardableResult
    func process(_ batch: [KafkaMessage]) async -> Bool {
        var decoded: [(message: KafkaMessage, event: any DecodedEvent)] = []
        for message in batch {
            guard let decode = handlers.byTopic[message.topic]?.decode else { continue }
            do {
                decoded.append((message, try decode(message.value)))
            } catch {
                guard await deadLetter(message, reason: "undecodable event: \(Self.describe(error))") else { return false }
            }
        }
        guard !decoded.isEmpty else { return true }
        let started = ContinuousClock.now
        do {
            let applied = try await apply(decoded)
            record(decoded.map(\.message.topic), applied: applied, since: started)
        } catch {
            for (message, event) in decoded {
                guard await processOne(message, event) else { return false }
            }
        }
        return true
    }

    /// One event with retries, after its batch failed. A handler that keeps failing is
    /// dead-lettered after `retry.attempts`; an unreachable database is not the event's fault,
    /// so it is waited out (capped backoff) instead of dead-lettering everything in flight.
    /// Returns false if shutdown came first.
    private func processOne(_ message: KafkaMessage, _ event: any DecodedEvent) async -> Bool {
        var delay = retry.firstDelay
        var attempt = 0
        while true {
            let started = ContinuousClock.now
            do {
                let applied = try await apply([(message, event)])
                record([message.topic], applied: applied, since: started)
                return true
            } catch {
                let transient = [.unavailable, .transientConflict].contains(StorageError.classify(error) as? StorageError)
                if !transient { attempt += 1 }
                if attempt >= retry.attempts {
                    return await deadLetter(message, reason: "handler failed \(attempt) times: \(Self.describe(error))")
                }
                if Task.isShuttingDownGracefully || Task.isCancelled { return false }
                logger.warning(
                    transient ? "database unavailable, event waits" : "event handler failed, retrying",
                    metadata: [
                        "topic": "\(message.topic)", "eventId": "\(event.id.lowercasedString)", "attempt": .stringConvertible(attempt),
                        "error": "\(error)",
                    ])
                try? await Task.sleep(for: delay)
                delay = min(delay * 4, .seconds(5))
            }
        }
    }

    /// Applies the events that were not processed before, in one transaction; returns which
    /// of them were new.
    private func apply(_ batch: [(message: KafkaMessage, event: any DecodedEvent)]) async throws -> [Bool] {
        let logger = self.logger
        let ids = batch.map(\.event.id)
        let topics = batch.map(\.event.topic)
        return try await database.transaction { connection in
            let inserted = try await connection.query(
                """
                INSERT INTO processed_events (event_id, topic)
                SELECT * FROM unnest(\(ids)::uuid[], \(topics)::text[])
                ON CONFLICT (event_id) DO NOTHING RETURNING event_id
                """, logger: logger)
            var new = Set(try await inserted.values(UUID.self))
            var applied: [Bool] = []
            var run: [(message: KafkaMessage, event: any DecodedEvent)] = []
            for (message, event) in batch {
                // An id seen twice in one batch is applied once.
                let isNew = new.remove(event.id) != nil
                applied.append(isNew)
                guard isNew else { continue }
                if let topic = run.first?.event.topic, topic != event.topic {
                    try await self.applyRun(run, on: connection)
                    run = []
                }
                run.append((message, event))
            }
            if !run.isEmpty { try await self.applyRun(run, on: connection) }
            return applied
        }
    }

    /// Consecutive new events of one topic (decoded, so the topic has handlers), handed to
    /// its handlers together.
    private func applyRun(_ run: [(message: KafkaMessage, event: any DecodedEvent)], on connection: PostgresConnection) async throws {
        let topic = run[0].event.topic
        try await EventSpan.around(run.map(\.message.headers), topic: topic) {
            try await handlers.byTopic[topic]?.apply(run.map(\.event), connection)
        }
    }

    private func record(_ topics: [String], applied: [Bool], since started: ContinuousClock.Instant) {
        let nanoseconds = (ContinuousClock.now - started).nanoseconds
        for (topic, isNew) in zip(topics, applied) {
            guard let handles = metrics[topic] else { continue }
            (isNew ? handles.consumed : handles.duplicate).increment()
        }
        for topic in Set(topics) {
            metrics[topic]?.duration.recordNanoseconds(nanoseconds / Int64(topics.count))
        }
    }

    /// Publishes the original bytes to `<topic>.dlq` with the reason and the original
    /// coordinates in headers, retrying while the broker is away. Returns false if shutdown
    /// came first: the offset is then not stored and the message comes back after the
    /// restart — never dropped silently.
    private func deadLetter(_ message: KafkaMessage, reason: String) async -> Bool {
        logger.error(
            "event dead-lettered",
            metadata: [
                "topic": "\(message.topic)", "partition": .stringConvertible(message.partition), "offset": .stringConvertible(message.offset),
                "reason": "\(reason)",
            ])
        let letter = OutgoingMessage(
            topic: Topics.deadLetter(of: message.topic),
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
                metrics[message.topic]?.deadLettered.increment()
                return true
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return false }
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
        case let psql as PSQLError:
            // Postgres's code and message say what went wrong; the statement's data is left out.
            return "database error \(psql.serverInfo?[.sqlState] ?? "\(psql.code)"): \(psql.serverInfo?[.message] ?? "")"
        default: return String(describing: error)
        }
    }
}
