/// How to reach Kafka (ARCHITECTURE §6). `properties` are passed to librdkafka as they are,
/// for what production brokers need (SASL, TLS, …).
public struct KafkaConfiguration: Sendable {
    /// `host:port[,host:port…]`.
    public var brokers: String
    public var clientId: String
    public var groupId: String
    /// How long the group waits for a silent member before rebalancing. Dev uses 6000 ms so
    /// a restarted service rejoins quickly.
    public var sessionTimeoutMs: Int
    /// How long a produced message may wait for the broker before its delivery fails (the
    /// outbox keeps it and retries).
    public var messageTimeoutMs: Int
    /// How long a fetch may wait at the broker for data. Real brokers answer as soon as data
    /// arrives; librdkafka's mock cluster waits it out, which would add up to this much
    /// latency per event in dev. 10 ms keeps dev latency low at the cost of ~100 idle fetches
    /// per second per consumer; production may raise it (`KAFKA_FETCH_WAIT_MAX_MS`).
    public var fetchWaitMaxMs: Int
    public var properties: [String: String]

    public init(
        brokers: String, clientId: String, groupId: String, sessionTimeoutMs: Int = 6000,
        messageTimeoutMs: Int = 10_000, fetchWaitMaxMs: Int = 10, properties: [String: String] = [:]
    ) {
        self.fetchWaitMaxMs = fetchWaitMaxMs
        self.brokers = brokers
        self.clientId = clientId
        self.groupId = groupId
        self.sessionTimeoutMs = sessionTimeoutMs
        self.messageTimeoutMs = messageTimeoutMs
        self.properties = properties
    }

    /// The `KAFKA_PROPERTY_<NAME>` variables, for librdkafka as they are, with `_` read as
    /// `.` (`KAFKA_PROPERTY_SASL_MECHANISMS=PLAIN` → `sasl.mechanisms`).
    public static func passThroughProperties(_ environment: [String: String]) -> [String: String] {
        var properties: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix("KAFKA_PROPERTY_") {
            let property = name.dropFirst("KAFKA_PROPERTY_".count).lowercased().replacingOccurrences(of: "_", with: ".")
            properties[property] = value
        }
        return properties
    }
}
