import CRdKafka
import Foundation
import Logging
import Synchronization

/// A consumer-group member over librdkafka (ARCHITECTURE §6).
///
/// A dedicated thread fetches with `rd_kafka_consumer_poll` and hands the messages to
/// `batches` in order — up to `batchSize` at a time, at most `window` batches ahead of the
/// application, which calls `done(_:)` after it has processed a batch: that stores the
/// offsets (auto-commit then commits stored offsets), so an offset is committed only after
/// its effect. `enable.auto.offset.store=false` makes
/// this at-least-once. On `close()` the thread leaves the group properly
/// (`rd_kafka_consumer_close`, which commits the stored offsets), so the group rebalances
/// at once instead of after a session timeout.
public final class KafkaConsumer: Sendable {
    public let batches: AsyncStream<[KafkaMessage]>
    private let continuation: AsyncStream<[KafkaMessage]>.Continuation
    private let handle: RdHandle
    private let batchSize: Int
    private let logger: Logger
    private let credits: DispatchSemaphore
    private let running = Mutex(true)
    /// Signalled by `close()`: the application has finished with its last batch, so the
    /// thread may close the handle (no `done(_:)` can touch it afterwards).
    private let closeRequested = DispatchSemaphore(value: 0)
    private let closed = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    public init(_ configuration: KafkaConfiguration, topics: [String], batchSize: Int = 500, window: Int = 2, logger: Logger) throws(KafkaError) {
        var properties = RdKafka.commonProperties(configuration)
        properties["group.id"] = configuration.groupId
        properties["enable.auto.offset.store"] = "false"
        properties["enable.auto.commit"] = "true"
        properties["auto.commit.interval.ms"] = "500"
        properties["auto.offset.reset"] = "earliest"
        properties["session.timeout.ms"] = String(configuration.sessionTimeoutMs)
        properties["heartbeat.interval.ms"] = String(max(100, configuration.sessionTimeoutMs / 3))
        properties["allow.auto.create.topics"] = "true"
        properties["fetch.wait.max.ms"] = String(configuration.fetchWaitMaxMs)
        // The poll thread waits while the application works through its batches, which can
        // take long when the database is away; do not let the group evict us for that.
        properties["max.poll.interval.ms"] = "3600000"
        properties.merge(configuration.properties) { $1 }
        let handle = try RdKafka.makeHandle(type: RD_KAFKA_CONSUMER, properties: properties)
        rd_kafka_poll_set_consumer(handle)

        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
        for topic in topics { rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA) }
        let error = rd_kafka_subscribe(handle, list)
        rd_kafka_topic_partition_list_destroy(list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            rd_kafka_destroy(handle)
            throw KafkaError(code: error)
        }

        (batches, continuation) = AsyncStream.makeStream(of: [KafkaMessage].self)
        self.handle = RdHandle(handle)
        self.batchSize = batchSize
        self.logger = logger
        self.credits = DispatchSemaphore(value: window)
        let thread = Thread { [self] in pollMessages() }
        thread.name = "kafka-consumer"
        thread.start()
    }

    /// Marks a batch processed: its offsets may now be committed.
    public func done(_ batch: [KafkaMessage]) {
        defer { credits.signal() }
        var next: [String: [Int32: Int64]] = [:]
        for message in batch { next[message.topic, default: [:]][message.partition] = message.offset + 1 }
        guard !next.isEmpty else { return }
        let list = rd_kafka_topic_partition_list_new(Int32(batch.count))!
        for (topic, partitions) in next {
            for (partition, offset) in partitions {
                rd_kafka_topic_partition_list_add(list, topic, partition)!.pointee.offset = offset
            }
        }
        let error = rd_kafka_offsets_store(handle.pointer, list)
        rd_kafka_topic_partition_list_destroy(list)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            // A partition was revoked meanwhile; its new owner re-reads the messages and the
            // inbox skips them.
            logger.debug("offsets not stored", metadata: ["error": "\(KafkaError(code: error))"])
        }
    }

    /// Whether `stopPolling()` was called: the application should stop taking messages.
    public var isStopping: Bool { !running.withLock { $0 } }

    /// Stops fetching; the consumer thread then leaves the group and `batches` finishes.
    public func stopPolling() {
        running.withLock { $0 = false }
        credits.signal()
    }

    /// Stops polling, leaves the group, commits stored offsets and frees the client; returns
    /// when that is done. Call it once, after the last `done(_:)`.
    public func close() async {
        stopPolling()
        closeRequested.signal()
        await withCheckedContinuation { continuation in
            let done = closed.withLock { state in
                if !state.done { state.waiters.append(continuation) }
                return state.done
            }
            if done { continuation.resume() }
        }
    }

    private func pollMessages() {
        while running.withLock({ $0 }) {
            credits.wait()
            guard running.withLock({ $0 }) else { break }
            // Wait up to 100 ms for one message, then take whatever else is ready: a batch
            // never waits to fill up (rd_kafka_consume_batch_queue would wait its timeout).
            var batch: [KafkaMessage] = []
            var timeout: Int32 = 100
            while batch.count < batchSize, let message = rd_kafka_consumer_poll(handle.pointer, timeout) {
                let error = message.pointee.err
                if error == RD_KAFKA_RESP_ERR_NO_ERROR {
                    batch.append(KafkaMessage(message))
                } else if error != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    logger.debug("Kafka consumer error", metadata: ["error": "\(KafkaError(code: error))"])
                }
                rd_kafka_message_destroy(message)
                timeout = 0
            }
            if batch.isEmpty { credits.signal() } else { continuation.yield(batch) }
        }
        // No more batches; wait until the application is done with the ones it has.
        continuation.finish()
        closeRequested.wait()
        let error = rd_kafka_consumer_close(handle.pointer)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("Kafka consumer close failed", metadata: ["error": "\(KafkaError(code: error))"])
        }
        rd_kafka_destroy(handle.pointer)
        let waiters = closed.withLock { state in
            state.done = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
