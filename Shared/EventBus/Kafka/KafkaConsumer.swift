import CRdKafka
import Foundation
import Logging
import Synchronization

/// A consumer-group member over librdkafka (ARCHITECTURE §6).
///
/// A dedicated thread runs `rd_kafka_consumer_poll` and hands messages to `messages` in
/// order, at most `window` ahead of the application, which calls `done(_:)` after it has
/// processed one: that stores the message's offset (auto-commit then commits stored offsets),
/// so an offset is committed only after its effect. `enable.auto.offset.store=false` makes
/// this at-least-once. On `close()` the thread leaves the group properly
/// (`rd_kafka_consumer_close`, which commits the stored offsets), so the group rebalances
/// at once instead of after a session timeout.
public final class KafkaConsumer: Sendable {
    public let messages: AsyncStream<KafkaMessage>
    private let continuation: AsyncStream<KafkaMessage>.Continuation
    private let handle: RdHandle
    private let logger: Logger
    private let credits: DispatchSemaphore
    private let running = Mutex(true)
    private let closed = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    public init(_ configuration: KafkaConfiguration, topics: [String], window: Int = 256, logger: Logger) throws(KafkaError) {
        var properties = RdKafka.commonProperties(configuration)
        properties["group.id"] = configuration.groupId
        properties["enable.auto.offset.store"] = "false"
        properties["enable.auto.commit"] = "true"
        properties["auto.commit.interval.ms"] = "500"
        properties["auto.offset.reset"] = "earliest"
        properties["session.timeout.ms"] = String(configuration.sessionTimeoutMs)
        properties["heartbeat.interval.ms"] = String(max(100, configuration.sessionTimeoutMs / 3))
        properties["allow.auto.create.topics"] = "true"
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

        (messages, continuation) = AsyncStream.makeStream(of: KafkaMessage.self)
        self.handle = RdHandle(handle)
        self.logger = logger
        self.credits = DispatchSemaphore(value: window)
        let thread = Thread { [self] in pollMessages() }
        thread.name = "kafka-consumer"
        thread.start()
    }

    /// Marks `message` processed: its offset may now be committed.
    public func done(_ message: KafkaMessage) {
        let list = rd_kafka_topic_partition_list_new(1)!
        let partition = rd_kafka_topic_partition_list_add(list, message.topic, message.partition)!
        partition.pointee.offset = message.offset + 1
        let error = rd_kafka_offsets_store(handle.pointer, list)
        rd_kafka_topic_partition_list_destroy(list)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            // The partition was revoked meanwhile; its new owner re-reads the message and
            // the inbox skips it.
            logger.debug("offset not stored", metadata: ["topic": "\(message.topic)", "error": "\(KafkaError(code: error))"])
        }
        credits.signal()
    }

    /// Whether `stopPolling()` was called: the application should stop taking messages.
    public var isStopping: Bool { !running.withLock { $0 } }

    /// Stops fetching; the consumer thread then leaves the group and `messages` finishes.
    public func stopPolling() {
        running.withLock { $0 = false }
        credits.signal()
    }

    /// Stops polling, leaves the group, commits stored offsets and frees the client; returns
    /// when that is done.
    public func close() async {
        stopPolling()
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
            guard let message = rd_kafka_consumer_poll(handle.pointer, 100) else {
                credits.signal()
                continue
            }
            let error = message.pointee.err
            if error == RD_KAFKA_RESP_ERR_NO_ERROR {
                continuation.yield(KafkaMessage(message))
            } else {
                credits.signal()
                if error != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    logger.debug("Kafka consumer error", metadata: ["error": "\(KafkaError(code: error))"])
                }
            }
            rd_kafka_message_destroy(message)
        }
        let error = rd_kafka_consumer_close(handle.pointer)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("Kafka consumer close failed", metadata: ["error": "\(KafkaError(code: error))"])
        }
        rd_kafka_destroy(handle.pointer)
        continuation.finish()
        let waiters = closed.withLock { state in
            state.done = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }
}
