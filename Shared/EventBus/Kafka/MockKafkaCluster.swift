import CRdKafka
import Logging

/// librdkafka's in-process mock cluster (`rdkafka_mock.h`): a Kafka that speaks the real
/// protocol on loopback, consumer groups and idempotent producers included, and keeps
/// everything in memory. For development and tests only: `kafka-dev-broker` hosts one, and
/// tests start their own.
public final class MockKafkaCluster: @unchecked Sendable {
    /// `host:port,…` to use as `KAFKA_BROKERS`.
    public let bootstrapServers: String
    private let host: OpaquePointer
    private let cluster: OpaquePointer
    private var destroyed = false

    /// - Parameters:
    ///   - brokers: how many mock brokers.
    ///   - topics: created up front with `partitions` each; other topics are created on
    ///     first use with the mock's default partition count.
    public init(brokers: Int32 = 1, topics: [String] = [], partitions: Int32 = 3) throws(KafkaError) {
        // The mock cluster lives inside a client instance; a producer that never produces.
        host = try RdKafka.makeHandle(type: RD_KAFKA_PRODUCER, properties: ["log_level": "3"])
        guard let cluster = rd_kafka_mock_cluster_new(host, brokers) else {
            rd_kafka_destroy(host)
            throw KafkaError("cannot create the mock Kafka cluster")
        }
        self.cluster = cluster
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        for topic in topics { try createTopic(topic, partitions: partitions) }
    }

    /// Creates a topic with `partitions` partitions.
    public func createTopic(_ name: String, partitions: Int32) throws(KafkaError) {
        let error = rd_kafka_mock_topic_create(cluster, name, partitions, 1)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(code: error) }
    }

    /// Takes every broker down (connections are refused and dropped) or brings them back:
    /// a broker outage, for tests.
    public func setAvailable(_ available: Bool, brokers: Int32 = 1) {
        for id in 1...brokers {
            if available { rd_kafka_mock_broker_set_up(cluster, id) } else { rd_kafka_mock_broker_set_down(cluster, id) }
        }
    }

    public func shutdown() {
        guard !destroyed else { return }
        destroyed = true
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(host)
    }
}
