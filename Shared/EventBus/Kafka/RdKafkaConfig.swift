import CRdKafka

/// Builds an `rd_kafka_conf_t` and the client handle from it.
enum RdKafka {
    /// Creates a producer or consumer handle. The configuration is owned by the handle
    /// afterwards (or destroyed here on failure).
    static func makeHandle(type: rd_kafka_type_t, properties: [String: String], events: Int32 = 0) throws(KafkaError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var errorText = [CChar](repeating: 0, count: 512)
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, name, value, &errorText, errorText.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError("invalid Kafka setting \(name): \(String(cString: errorText))")
            }
        }
        if events != 0 { rd_kafka_conf_set_events(conf, events) }
        guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError("cannot create Kafka client: \(String(cString: errorText))")
        }
        return handle
    }

    /// What producer and consumer share; each adds its own, then `configuration.properties` last.
    static func commonProperties(_ configuration: KafkaConfiguration) -> [String: String] {
        [
            "bootstrap.servers": configuration.brokers,
            "client.id": configuration.clientId,
            // Dev clusters come and go; keep reconnect attempts frequent but bounded.
            "reconnect.backoff.ms": "100",
            "reconnect.backoff.max.ms": "2000",
            "topic.metadata.refresh.interval.ms": "10000",
            // Client errors reach us as events and are logged through swift-log; keep
            // librdkafka's own stderr lines to critical ones.
            "log_level": "2",
        ]
    }
}
