import EventBus
import Foundation

/// Reads messages from `topic` with a consumer group of its own until `count` arrived or
/// `timeout` passed.
public func collect(_ count: Int, from topic: String, brokers: String, timeout: Duration = .seconds(20)) async throws -> [KafkaMessage] {
    let consumer = try KafkaConsumer(
        KafkaConfiguration(brokers: brokers, clientId: "reader", groupId: "reader-\(UUID().uuidString.prefix(8))"),
        topics: [topic], logger: TestEnvironment.quietLogger)
    let deadline = ContinuousClock.now + timeout
    var messages: [KafkaMessage] = []
    let reader = Task {
        var received: [KafkaMessage] = []
        for await batch in consumer.batches {
            received += batch
            consumer.done(batch)
            if received.count >= count { break }
        }
        return received
    }
    let watchdog = Task {
        try? await Task.sleep(until: deadline)
        consumer.stopPolling()
    }
    messages = await reader.value
    watchdog.cancel()
    await consumer.close()
    return messages
}
