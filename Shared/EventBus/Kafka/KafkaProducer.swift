import CRdKafka
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// An idempotent librdkafka producer (ARCHITECTURE §6).
///
/// Messages are produced with `rd_kafka_produceva` (its error is returned, not read from the
/// thread-local `rd_kafka_last_error`, which is meaningless under Swift concurrency); each
/// carries an opaque id registered *before* producing, and a dedicated thread serves the
/// delivery-report events and completes the matching `Delivery`. Nothing here blocks an
/// event loop or the cooperative pool: flush and metadata calls run on other threads.
public final class KafkaProducer: Service, Sendable {
    private let handle: RdHandle
    private let events: RdHandle
    private let logger: Logger
    private let state = Mutex(State())
    private let pollingStopped = Mutex<CheckedContinuation<Void, Never>?>(nil)

    struct State {
        var nextId: UInt = 1
        var pending: [UInt: Delivery] = [:]
        var closed = false
        var polling = true
        /// Metadata requests running on the thread pool; the handle outlives them.
        var metadataRequests = 0
        /// A fatal error (e.g. the idempotent producer lost its sequence): nothing more will
        /// be delivered; readiness reports Kafka down until the service is restarted.
        var fatal = false
    }

    public init(_ configuration: KafkaConfiguration, logger: Logger) throws(KafkaError) {
        var properties = RdKafka.commonProperties(configuration)
        properties["enable.idempotence"] = "true"
        properties["acks"] = "all"
        properties["linger.ms"] = "2"
        properties["message.timeout.ms"] = String(configuration.messageTimeoutMs)
        properties.merge(configuration.properties) { $1 }
        let handle = try RdKafka.makeHandle(
            type: RD_KAFKA_PRODUCER, properties: properties,
            events: Int32(RD_KAFKA_EVENT_DR) | Int32(RD_KAFKA_EVENT_ERROR))
        self.handle = RdHandle(handle)
        self.events = RdHandle(rd_kafka_queue_get_main(handle))
        self.logger = logger
        let thread = Thread { [self] in pollEvents() }
        thread.name = "kafka-producer"
        thread.start()
    }

    /// Produces `message` and returns its pending delivery at once; messages enqueued one
    /// after another keep their order per partition.
    public func enqueue(_ message: OutgoingMessage) throws(KafkaError) -> Delivery {
        let delivery = Delivery()
        // Produced under the lock (rd_kafka_produceva does not block), so `shutdown` can never
        // free the handle while a message is being produced.
        try state.withLock { (state) throws(KafkaError) in
            guard !state.closed else { throw KafkaError.shutDown }
            let id = state.nextId
            state.nextId += 1
            state.pending[id] = delivery
            if let error = produce(message, opaque: id) {
                state.pending.removeValue(forKey: id)
                throw error
            }
        }
        return delivery
    }

    /// Produces one message and waits for the broker to acknowledge it.
    public func send(_ message: OutgoingMessage) async throws(KafkaError) {
        try await enqueue(message).acknowledged()
    }

    /// Whether a broker answers a metadata request within `timeout`.
    public func brokersReachable(timeout: Duration = .milliseconds(800)) async -> Bool {
        let admitted = state.withLock { state in
            let usable = !state.closed && !state.fatal
            if usable { state.metadataRequests += 1 }
            return usable
        }
        guard admitted else { return false }
        defer { state.withLock { $0.metadataRequests -= 1 } }
        let handle = self.handle
        let millis = Int32(timeout.wholeMilliseconds)
        let reachable = try? await NIOThreadPool.singleton.runIfActive {
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let error = rd_kafka_metadata(handle.pointer, 0, nil, &metadata, millis)
            if let metadata { rd_kafka_metadata_destroy(metadata) }
            return error == RD_KAFKA_RESP_ERR_NO_ERROR
        }
        return reachable ?? false
    }

    /// Runs until graceful shutdown, then flushes what is in flight (up to 10 s) and closes.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Flushes outstanding messages, fails the deliveries that did not make it, and frees
    /// the client. Safe to call twice.
    public func shutdown(flushTimeout: Duration = .seconds(10)) async {
        let alreadyClosed = state.withLock { state in
            defer { state.closed = true }
            return state.closed
        }
        guard !alreadyClosed else { return }
        let handle = self.handle
        let millis = Int32(flushTimeout.wholeMilliseconds)
        _ = try? await NIOThreadPool.singleton.runIfActive { rd_kafka_flush(handle.pointer, millis) }
        await withCheckedContinuation { continuation in
            pollingStopped.withLock { $0 = continuation }
            state.withLock { $0.polling = false }
        }
        let leftovers = state.withLock { state in
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        for delivery in leftovers { delivery.complete(.failure(KafkaError.shutDown)) }
        while state.withLock({ $0.metadataRequests > 0 }) { try? await Task.sleep(for: .milliseconds(10)) }
        rd_kafka_queue_destroy(events.pointer)
        rd_kafka_destroy(handle.pointer)
        logger.info("Kafka producer flushed and closed", metadata: ["undelivered": .stringConvertible(leftovers.count)])
    }

    // MARK: - librdkafka

    private func produce(_ message: OutgoingMessage, opaque: UInt) -> KafkaError? {
        let texts: [String] = [message.topic, message.key] + message.headers.flatMap { [$0.0, $0.1] }
        let strings = texts.map { strdup($0)! }
        defer { for string in strings { free(string) } }
        var values = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: 5 + message.headers.count)
        values[0].vtype = RD_KAFKA_VTYPE_TOPIC
        values[0].u.cstr = UnsafePointer(strings[0])
        values[1].vtype = RD_KAFKA_VTYPE_KEY
        values[1].u.mem.ptr = UnsafeMutableRawPointer(strings[1])
        values[1].u.mem.size = strlen(strings[1])
        values[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS
        values[2].u.i = RD_KAFKA_MSG_F_COPY
        values[3].vtype = RD_KAFKA_VTYPE_OPAQUE
        values[3].u.ptr = UnsafeMutableRawPointer(bitPattern: opaque)
        for (index, _) in message.headers.enumerated() {
            let name = strings[2 + index * 2]
            let value = strings[3 + index * 2]
            values[5 + index].vtype = RD_KAFKA_VTYPE_HEADER
            values[5 + index].u.header.name = UnsafePointer(name)
            values[5 + index].u.header.val = UnsafeRawPointer(value)
            values[5 + index].u.header.size = strlen(value)
        }
        return message.value.withUnsafeBytes { bytes in
            values[4].vtype = RD_KAFKA_VTYPE_VALUE
            values[4].u.mem.ptr = UnsafeMutableRawPointer(mutating: bytes.baseAddress)
            values[4].u.mem.size = bytes.count
            guard let error = values.withUnsafeMutableBufferPointer({ rd_kafka_produceva(handle.pointer, $0.baseAddress, $0.count) }) else {
                return nil
            }
            return KafkaError(consuming: error)
        }
    }

    /// The event thread: delivery reports and client errors, until shutdown.
    private func pollEvents() {
        while state.withLock({ $0.polling }) {
            guard let event = rd_kafka_queue_poll(events.pointer, 100) else { continue }
            switch Int32(rd_kafka_event_type(event)) {
            case Int32(RD_KAFKA_EVENT_DR):
                while let message = rd_kafka_event_message_next(event) {
                    let id = UInt(bitPattern: message.pointee._private)
                    let error = message.pointee.err
                    let delivery = state.withLock { $0.pending.removeValue(forKey: id) }
                    delivery?.complete(error == RD_KAFKA_RESP_ERR_NO_ERROR ? .success(()) : .failure(KafkaError(code: error)))
                }
            case Int32(RD_KAFKA_EVENT_ERROR):
                let text = String(cString: rd_kafka_event_error_string(event))
                if rd_kafka_event_error_is_fatal(event) != 0 {
                    state.withLock { $0.fatal = true }
                    logger.critical("fatal Kafka producer error: restart the service", metadata: ["error": "\(text)"])
                } else {
                    logger.debug("Kafka producer error", metadata: ["error": "\(text)"])
                }
            default:
                break
            }
            rd_kafka_event_destroy(event)
        }
        pollingStopped.withLock {
            $0?.resume()
            $0 = nil
        }
    }
}

/// The outcome of one produced message, completed by its delivery report.
public final class Delivery: Sendable {
    private let state = Mutex<(result: Result<Void, KafkaError>?, waiter: CheckedContinuation<Result<Void, KafkaError>, Never>?)>((nil, nil))

    func complete(_ result: Result<Void, KafkaError>) {
        let waiter = state.withLock { state -> CheckedContinuation<Result<Void, KafkaError>, Never>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: result)
    }

    /// Waits for the broker's acknowledgement.
    public func acknowledged() async throws(KafkaError) {
        let result = await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Result<Void, KafkaError>? in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        try result.get()
    }
}

/// A librdkafka pointer that is safe to share: librdkafka's handles are thread-safe, and
/// they are destroyed once, by their owner, after its threads have stopped.
struct RdHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}
