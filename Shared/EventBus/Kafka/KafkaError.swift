import CRdKafka

/// A librdkafka failure, with its error name and text.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    public let message: String

    init(code: rd_kafka_resp_err_t, message: String? = nil) {
        self.code = code.rawValue
        self.message = message ?? String(cString: rd_kafka_err2str(code))
    }

    init(_ message: String) {
        self.code = RD_KAFKA_RESP_ERR__FAIL.rawValue
        self.message = message
    }

    /// Takes ownership of an `rd_kafka_error_t` and destroys it.
    init(consuming error: OpaquePointer) {
        self.code = rd_kafka_error_code(error).rawValue
        self.message = String(cString: rd_kafka_error_string(error))
        rd_kafka_error_destroy(error)
    }

    public var description: String { "Kafka error \(code): \(message)" }
    static let shutDown = KafkaError("client is shut down")
}
