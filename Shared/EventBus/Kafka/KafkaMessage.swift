import CRdKafka

/// A consumed message, copied out of librdkafka's buffers.
public struct KafkaMessage: Sendable {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
    public let key: [UInt8]?
    public let value: [UInt8]
    public let headers: [String: String]

    public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], headers: [String: String] = [:]) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
    }

    init(_ message: UnsafePointer<rd_kafka_message_t>) {
        let m = message.pointee
        self.topic = String(cString: rd_kafka_topic_name(m.rkt))
        self.partition = m.partition
        self.offset = m.offset
        self.key = m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
        self.value = m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? []
        var headers: [String: String] = [:]
        var list: OpaquePointer?
        if rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
            var index = 0
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(list, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                if let name {
                    headers[String(cString: name)] =
                        value.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: size), as: UTF8.self) } ?? ""
                }
                index += 1
            }
        }
        self.headers = headers
    }
}

/// A message to produce.
public struct OutgoingMessage: Sendable {
    public var topic: String
    public var key: String
    public var value: [UInt8]
    public var headers: [(String, String)]

    public init(topic: String, key: String, value: [UInt8], headers: [(String, String)] = []) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
    }
}
