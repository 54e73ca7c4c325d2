import ArgumentParser
import Contracts
import EventBus
import Foundation

/// `kafka-dev-broker`: a Kafka for development and tests — librdkafka's mock cluster on
/// loopback, in memory, with every topic of the catalog (and its `.dlq`) created up front.
/// It writes its bootstrap address to `--address-file` once it accepts connections, and
/// runs until SIGTERM or SIGINT. Not for production: nothing is persisted.
@main
struct KafkaDevBroker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-dev-broker",
        abstract: "An in-memory Kafka (librdkafka's mock cluster) for development and tests.")

    @Option(help: "Where to write the bootstrap address (host:port).") var addressFile: String
    @Option(help: "Partitions of each catalog topic.") var partitions: Int32 = 3
    @Option(help: "Mock brokers in the cluster.") var brokers: Int32 = 1

    func run() throws {
        // Block the signals first, so every thread librdkafka starts inherits the mask and
        // this thread alone receives them in sigwait.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let topics = Topics.allNames.flatMap { [$0, Topics.deadLetter(of: $0)] }
        let cluster = try MockKafkaCluster(brokers: brokers, topics: topics, partitions: partitions)
        let temporary = addressFile + ".tmp"
        try cluster.bootstrapServers.write(toFile: temporary, atomically: false, encoding: .utf8)
        rename(temporary, addressFile)
        FileHandle.standardOutput.write(
            Data("kafka-dev-broker: \(cluster.bootstrapServers) (\(topics.count) topics, \(partitions) partitions each)\n".utf8))

        var received: Int32 = 0
        sigwait(&signals, &received)
        cluster.shutdown()
        unlink(addressFile)
    }
}
