import Contracts
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Storage
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Publishes committed outbox rows to Kafka (ARCHITECTURE §5).
///
/// Woken right after a commit: in this process by the outbox's doorbell (`AfterCommit`), from
/// other processes (a job run from the command line) by `LISTEN <schema>_outbox`; and by a
/// 1 s fallback poll. Each
/// round claims a batch in order with `FOR UPDATE SKIP LOCKED`, produces every row (key =
/// user id, so one customer's events stay in order), waits for all delivery reports, and
/// marks the rows published in the same transaction. If anything fails the transaction rolls
/// back, the rows stay, and the round is retried with backoff: at-least-once, never lost.
/// A transaction-scoped advisory lock lets one replica publish at a time, which keeps
/// per-user order across replicas. Published rows are pruned after `retention`, except those of
/// `Topics.shortLived`, personal data in transit, which go as soon as Kafka has them.
public final class OutboxRelay: Service, Sendable {
    private let database: Database
    private let producer: KafkaProducer
    private let outbox: Outbox
    private let logger: Logger
    private let batchSize: Int
    private let retention: Duration
    /// `events_published_total` per topic: the context's own topics from the start, any other
    /// at its first event.
    private let published: Mutex<[String: Counter]>
    private let ready: Latch

    /// - Parameter ready: opened once the outbox table exists (after migrations).
    public init(
        database: Database, producer: KafkaProducer, outbox: Outbox, logger: Logger, ready: Latch = Latch(open: true),
        batchSize: Int = 500, retention: Duration = .seconds(7 * 86_400)
    ) {
        self.ready = ready
        self.database = database
        self.producer = producer
        self.outbox = outbox
        self.logger = logger
        self.batchSize = batchSize
        self.retention = retention
        let topics = Topics.publishedBy[outbox.source] ?? []
        self.published = Mutex(
            Dictionary(uniqueKeysWithValues: topics.map { ($0, Counter(label: "events_published_total", dimensions: [("topic", $0)])) }))
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.ready.wait() }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.listen() }
            await cancelWhenGracefulShutdown { await self.publishLoop() }
            group.cancelAll()
        }
        logger.info("outbox relay stopped")
    }

    private func publishLoop() async {
        var backoff = Duration.milliseconds(100)
        var lastHousekeeping = ContinuousClock.now - .seconds(3600)
        while !Task.isCancelled {
            do {
                let published = try await publishBatch()
                backoff = .milliseconds(100)
                if ContinuousClock.now - lastHousekeeping > .seconds(60) {
                    lastHousekeeping = ContinuousClock.now
                    try await housekeeping()
                }
                switch published {
                case nil:
                    // Another replica is publishing; its rounds are short, and ours may be waiting.
                    try? await Task.sleep(for: .milliseconds(50))
                case let count? where count < batchSize:
                    await outbox.doorbell.wait(upTo: .seconds(1))
                default:
                    break
                }
            } catch {
                if Task.isCancelled { break }
                logger.warning(
                    "outbox publishing failed, retrying", metadata: ["error": "\(error)", "retryInMs": .stringConvertible(backoff.wholeMilliseconds)])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
    }

    /// One round: returns how many rows it published, nil when another replica holds the lock.
    func publishBatch() async throws -> Int? {
        guard let topics = try await publishRound() else { return nil }
        countPublished(topics)
        return topics.count
    }

    private func countPublished(_ topics: [String]) {
        guard !topics.isEmpty else { return }
        var counts: [String: Int] = [:]
        for topic in topics { counts[topic, default: 0] += 1 }
        for (topic, count) in counts {
            let counter = published.withLock { counters in
                if let counter = counters[topic] { return counter }
                let counter = Counter(label: "events_published_total", dimensions: [("topic", topic)])
                counters[topic] = counter
                return counter
            }
            counter.increment(by: count)
        }
    }

    /// Publishes and marks a batch in one transaction; the topics of the rows it published, or
    /// nil when another replica holds the lock.
    private func publishRound() async throws -> [String]? {
        let producer = self.producer
        let logger = self.logger
        let batchSize = self.batchSize
        let lockName = outbox.lockName
        return try await database.transaction { connection in
            let acquired = try await connection.query("SELECT pg_try_advisory_xact_lock(hashtext(\(lockName)))", logger: logger).value(Bool.self)
            guard acquired == true else { return nil }
            let rows = try await connection.query(
                """
                SELECT seq, topic, key, value, traceparent, tracestate FROM outbox
                WHERE published_at IS NULL ORDER BY seq LIMIT \(batchSize)
                FOR UPDATE SKIP LOCKED
                """, logger: logger)
            var sequence: [Int64] = []
            var topics: [String] = []
            var shortLived: [Int64] = []
            var deliveries: [Delivery] = []
            for try await (seq, topic, key, value, parent, state) in rows.decode((Int64, String, String, String, String?, String?).self) {
                sequence.append(seq)
                topics.append(topic)
                if Topics.shortLived.contains(topic) { shortLived.append(seq) }
                // The writer's trace context travels in the headers; the consumer continues it.
                let trace = TraceContext(parent: parent, state: state)
                deliveries.append(try producer.enqueue(OutgoingMessage(topic: topic, key: key, value: Array(value.utf8), headers: trace.headers)))
            }
            guard !sequence.isEmpty else { return [] }
            for delivery in deliveries { try await delivery.acknowledged() }
            if shortLived.isEmpty {
                try await connection.query(
                    "UPDATE outbox SET published_at = clock_timestamp() WHERE seq = ANY(\(sequence))", logger: logger)
            } else {
                let kept = sequence.filter { !shortLived.contains($0) }
                try await connection.query(
                    "UPDATE outbox SET published_at = clock_timestamp() WHERE seq = ANY(\(kept))", logger: logger)
                try await connection.query("DELETE FROM outbox WHERE seq = ANY(\(shortLived))", logger: logger)
            }
            return topics
        }
    }

    private func housekeeping() async throws {
        let seconds = Int(retention.components.seconds)
        try await database.query("DELETE FROM outbox WHERE published_at < now() - make_interval(secs => \(seconds))")
        // Redeliveries come from Kafka's retention window; remembering ids twice as long is safe.
        try await database.query("DELETE FROM processed_events WHERE processed_at < now() - make_interval(secs => \(seconds * 2))")
    }

    /// Rings the doorbell on every NOTIFY; reconnects after a second if the connection drops.
    private func listen() async {
        while !Task.isCancelled {
            do {
                try await database.withConnection { connection in
                    try await connection.listen(on: self.outbox.channel) { notifications in
                        self.outbox.doorbell.ring()  // rows may have been committed before we listened
                        for try await _ in notifications { self.outbox.doorbell.ring() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("outbox listener lost its connection", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
