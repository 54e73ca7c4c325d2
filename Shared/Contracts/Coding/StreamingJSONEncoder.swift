#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Encodes a value to JSON as its `encode(to:)` runs, byte by byte into one buffer.
///
/// Foundation's `JSONEncoder` first builds a tree of every value (a dictionary per object,
/// boxes per number) and then writes it out; measured end to end, that cost the uncached staff
/// lists 20–30 % more of their server's CPU per request (docs/decisions/0005). The output is
/// the same JSON value with the same conventions (`JSONCoding`): dates as millisecond ISO 8601
/// timestamps, nil optionals left out, `nil` as `null` where a value writes it, non-finite
/// numbers an error. A struct's keys keep the order it encodes them in (its declaration order)
/// and a dictionary's keys are sorted, so the same value is always the same bytes (`JSONEncoder`
/// on Linux writes a dictionary's keys in hash order, which differs between processes).
///
/// Streaming needs a value to write its containers in order, as synthesised `Codable` does:
/// one container at a time, a nested one finished before its parent goes on. A value that
/// returns to a container it left, asks for a `superEncoder`, or holds `Data`, `URL` or
/// `Decimal` (whose `JSONEncoder` forms are not ours to redefine) is encoded by Foundation's
/// encoder instead, so the result is always correct.
public struct StreamingJSONEncoder: Sendable {
    /// Foundation's encoder with the same conventions (and sorted keys): for what cannot be
    /// streamed.
    let fallback: JSONEncoder

    init(fallback: JSONEncoder) { self.fallback = fallback }

    public func encode<Value: Encodable>(_ value: Value) throws -> Data {
        Data(try bytes(value))
    }

    func bytes<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let stream = JSONStream()
        do {
            try stream.write(value, parent: nil, key: nil)
            if !stream.out.pointee.misused {
                stream.out.pointee.close(through: 0)
                return stream.out.pointee.bytes
            }
        } catch is JSONStream.CannotStream {}
        return Array(try fallback.encode(value))
    }
}

/// One encoding: the bytes written so far, and the `write` that sends a value that is not
/// a JSON scalar through its own `encode(to:)`.
final class JSONStream {
    struct CannotStream: Error {}

    /// Behind a pointer because a class's `var`s are checked for exclusive access at run time
    /// on every use, which cost more than the writing itself.
    let out: UnsafeMutablePointer<JSONWriter>

    init() {
        out = .allocate(capacity: 1)
        out.initialize(to: JSONWriter())
    }

    deinit {
        out.deinitialize(count: 1)
        out.deallocate()
    }

    /// Writes any value: the JSON scalars directly, anything else through its `encode(to:)`.
    func write<Value: Encodable>(_ value: Value, parent: StreamEncoder?, key: (any CodingKey)?) throws {
        // Comparing types is a pointer comparison, where `as?` is a dynamic cast each time.
        if Value.self == String.self {
            out.pointee.writeString(unsafeBitCast(value, to: String.self))
        } else if Value.self == Int.self {
            out.pointee.writeInteger(unsafeBitCast(value, to: Int.self))
        } else if Value.self == Bool.self {
            out.pointee.writeBool(unsafeBitCast(value, to: Bool.self))
        } else if Value.self == Date.self {
            out.pointee.writeString(Timestamp.iso8601(unsafeBitCast(value, to: Date.self)))
        } else if Value.self == Double.self {
            try out.pointee.writeFloat(unsafeBitCast(value, to: Double.self), codingPath: { (parent?.codingPath ?? []) + (key.map { [$0] } ?? []) })
        } else if Value.self == Data.self || Value.self == URL.self || Value.self == Decimal.self {
            throw out.pointee.cannotStream()
        } else {
            let encoder = StreamEncoder(stream: self, parent: parent, key: key)
            if let dictionary = value as? any StringKeyedDictionary {
                try dictionary.encodeSorted(to: encoder)
            } else {
                try value.encode(to: encoder)
            }
            encoder.finish()
        }
    }
}

/// A dictionary with string keys, written with its keys sorted rather than in hash order.
private protocol StringKeyedDictionary {
    func encodeSorted(to encoder: any Encoder) throws
}

extension Dictionary: StringKeyedDictionary where Key == String, Value: Encodable {
    fileprivate func encodeSorted(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: SortedKey.self)
        for key in keys.sorted() { try container.encode(self[key]!, forKey: SortedKey(stringValue: key)) }
    }
}

private struct SortedKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// The bytes written so far and the containers still open, innermost last. A container is
/// known by a number that only grows, so one that was closed can be told from one still open.
struct JSONWriter {
    struct OpenContainer {
        let id: Int
        let closer: UInt8
        var count = 0
    }

    var bytes: [UInt8] = []
    private var open: [OpenContainer] = []
    private var lastId = 0
    /// Set whenever the value cannot be streamed (containers used out of order, a type with a
    /// form of its own), even where the call cannot throw (asking for a container) or the
    /// value swallowed the error: the bytes are then not to be trusted.
    var misused = false

    init() {
        bytes.reserveCapacity(512)
        open.reserveCapacity(8)
    }

    mutating func cannotStream() -> JSONStream.CannotStream {
        misused = true
        return JSONStream.CannotStream()
    }

    /// Opens an object or array and returns its id.
    mutating func open(_ opener: UInt8, closer: UInt8) -> Int {
        lastId += 1
        bytes.append(opener)
        open.append(OpenContainer(id: lastId, closer: closer))
        return lastId
    }

    /// Closes the containers opened since `id`, and `id` itself.
    mutating func close(through id: Int) {
        while let top = open.last, top.id >= id {
            bytes.append(top.closer)
            open.removeLast()
        }
    }

    /// Before an element of container `id`: finishes what was nested in it since its last
    /// element and writes the separator. A container already closed cannot take more.
    mutating func beginElement(of id: Int) throws {
        while let top = open.last, top.id > id {
            bytes.append(top.closer)
            open.removeLast()
        }
        guard let top = open.last, top.id == id else { throw cannotStream() }
        if top.count > 0 { bytes.append(UInt8(ascii: ",")) }
        open[open.count - 1].count += 1
    }

    mutating func writeKey(_ key: some CodingKey) {
        writeString(key.stringValue)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func writeNull() { bytes.append(contentsOf: "null".utf8) }
    mutating func writeBool(_ value: Bool) { bytes.append(contentsOf: value ? "true".utf8 : "false".utf8) }

    mutating func writeInteger<Integer: BinaryInteger>(_ value: Integer) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = UInt64(value.magnitude)
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var index = buffer.count
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: buffer[index...])
        }
    }

    /// As `JSONEncoder` writes them: the shortest form that reads back exactly, without a
    /// trailing `.0`; infinity and NaN are not JSON.
    mutating func writeFloat<Float: BinaryFloatingPoint & LosslessStringConvertible>(_ value: Float, codingPath: () -> [any CodingKey]) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath(), debugDescription: "Unable to encode \(value) directly in JSON."))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    /// Escapes what JSON requires (quote, backslash, control characters); `/` and the rest
    /// of Unicode pass as they are.
    mutating func writeString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            var start = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                appendEscaped(byte)
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        default:
            func hex(_ digit: UInt8) -> UInt8 { digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10 }
            bytes.append(contentsOf: "u00".utf8)
            bytes.append(hex(byte >> 4))
            bytes.append(hex(byte & 0xF))
        }
    }
}

/// The `Encoder` one value writes itself through: it may ask for one container (or the
/// same keyed one again) or write one single value.
final class StreamEncoder: Encoder {
    let stream: JSONStream
    private let parent: StreamEncoder?
    private let key: (any CodingKey)?
    /// The container this value opened, if any.
    private var containerId: Int?
    private var keyed = false
    private var wroteValue = false
    private var finished = false

    init(stream: JSONStream, parent: StreamEncoder?, key: (any CodingKey)?) {
        self.stream = stream
        self.parent = parent
        self.key = key
    }

    /// Built only when an error needs it, rather than an array per value.
    var codingPath: [any CodingKey] { (parent?.codingPath ?? []) + (key.map { [$0] } ?? []) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if let containerId, keyed { return KeyedEncodingContainer(StreamKeyedContainer(encoder: self, id: containerId)) }
        return KeyedEncodingContainer(StreamKeyedContainer(encoder: self, id: openOnce(UInt8(ascii: "{"), UInt8(ascii: "}"), keyed: true)))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        StreamUnkeyedContainer(encoder: self, id: openOnce(UInt8(ascii: "["), UInt8(ascii: "]"), keyed: false))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { StreamSingleValue(encoder: self) }

    /// The value's one container; a second different one, or a container after a single
    /// value, is out of order.
    private func openOnce(_ opener: UInt8, _ closer: UInt8, keyed: Bool) -> Int {
        guard containerId == nil, !wroteValue, !finished else {
            stream.out.pointee.misused = true
            return -1
        }
        self.keyed = keyed
        let id = stream.out.pointee.open(opener, closer: closer)
        containerId = id
        return id
    }

    /// Before the single value: only one, and only while the value is being encoded.
    func beginSingleValue() throws {
        guard containerId == nil, !wroteValue, !finished else { throw stream.out.pointee.cannotStream() }
        wroteValue = true
    }

    /// After `encode(to:)` returned: closes its container; a value that wrote nothing is
    /// `{}`, as `JSONEncoder` writes it.
    func finish() {
        finished = true
        if let containerId {
            stream.out.pointee.close(through: containerId)
        } else if !wroteValue {
            stream.out.pointee.bytes.append(contentsOf: "{}".utf8)
        }
    }

    /// A child encoder for values nested by hand (`superEncoder`): not streamable.
    func unsupported() -> any Encoder {
        stream.out.pointee.misused = true
        return self
    }
}

struct StreamKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: StreamEncoder
    let id: Int
    var codingPath: [any CodingKey] { encoder.codingPath }
    private var out: UnsafeMutablePointer<JSONWriter> { encoder.stream.out }

    private func begin(_ key: Key) throws {
        try out.pointee.beginElement(of: id)
        out.pointee.writeKey(key)
    }

    mutating func encodeNil(forKey key: Key) throws {
        try begin(key)
        out.pointee.writeNull()
    }
    mutating func encode(_ value: Bool, forKey key: Key) throws {
        try begin(key)
        out.pointee.writeBool(value)
    }
    mutating func encode(_ value: String, forKey key: Key) throws {
        try begin(key)
        out.pointee.writeString(value)
    }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        try begin(key)
        try out.pointee.writeFloat(value, codingPath: { codingPath + [key] })
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        try begin(key)
        try out.pointee.writeFloat(value, codingPath: { codingPath + [key] })
    }
    mutating func encode(_ value: Int, forKey key: Key) throws {
        try begin(key)
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: Int8, forKey key: Key) throws {
        try begin(key)
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: Int16, forKey key: Key) throws {
        try begin(key)
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: Int32, forKey key: Key) throws {
        try begin(key)
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: Int64, forKey key: Key) throws {
        try begin(key)
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: UInt, forKey key: Key) throws {
        try begin(key)
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: UInt8, forKey key: Key) throws {
        try begin(key)
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: UInt16, forKey key: Key) throws {
        try begin(key)
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: UInt32, forKey key: Key) throws {
        try begin(key)
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: UInt64, forKey key: Key) throws {
        try begin(key)
        out.pointee.writeInteger(value)
    }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try begin(key)
        try encoder.stream.write(value, parent: encoder, key: key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(StreamKeyedContainer<NestedKey>(encoder: encoder, id: nested(key, UInt8(ascii: "{"), UInt8(ascii: "}"))))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        StreamUnkeyedContainer(encoder: encoder, id: nested(key, UInt8(ascii: "["), UInt8(ascii: "]")))
    }

    private func nested(_ key: Key, _ opener: UInt8, _ closer: UInt8) -> Int {
        do { try begin(key) } catch {
            out.pointee.misused = true
            return -1
        }
        return out.pointee.open(opener, closer: closer)
    }

    mutating func superEncoder() -> any Encoder { encoder.unsupported() }
    mutating func superEncoder(forKey key: Key) -> any Encoder { encoder.unsupported() }
}

struct StreamUnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: StreamEncoder
    let id: Int
    private(set) var count = 0
    var codingPath: [any CodingKey] { encoder.codingPath }
    private var out: UnsafeMutablePointer<JSONWriter> { encoder.stream.out }

    private mutating func begin() throws {
        try out.pointee.beginElement(of: id)
        count += 1
    }

    mutating func encodeNil() throws {
        try begin()
        out.pointee.writeNull()
    }
    mutating func encode(_ value: Bool) throws {
        try begin()
        out.pointee.writeBool(value)
    }
    mutating func encode(_ value: String) throws {
        try begin()
        out.pointee.writeString(value)
    }
    mutating func encode(_ value: Double) throws {
        try begin()
        try out.pointee.writeFloat(value, codingPath: { codingPath })
    }
    mutating func encode(_ value: Float) throws {
        try begin()
        try out.pointee.writeFloat(value, codingPath: { codingPath })
    }
    mutating func encode(_ value: Int) throws {
        try begin()
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: Int8) throws {
        try begin()
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: Int16) throws {
        try begin()
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: Int32) throws {
        try begin()
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: Int64) throws {
        try begin()
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: UInt) throws {
        try begin()
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: UInt8) throws {
        try begin()
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: UInt16) throws {
        try begin()
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: UInt32) throws {
        try begin()
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: UInt64) throws {
        try begin()
        out.pointee.writeInteger(value)
    }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try begin()
        try encoder.stream.write(value, parent: encoder, key: nil)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(StreamKeyedContainer<NestedKey>(encoder: encoder, id: nested(UInt8(ascii: "{"), UInt8(ascii: "}"))))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        StreamUnkeyedContainer(encoder: encoder, id: nested(UInt8(ascii: "["), UInt8(ascii: "]")))
    }

    private mutating func nested(_ opener: UInt8, _ closer: UInt8) -> Int {
        do { try begin() } catch {
            out.pointee.misused = true
            return -1
        }
        return out.pointee.open(opener, closer: closer)
    }

    mutating func superEncoder() -> any Encoder { encoder.unsupported() }
}

struct StreamSingleValue: SingleValueEncodingContainer {
    let encoder: StreamEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }
    private var out: UnsafeMutablePointer<JSONWriter> { encoder.stream.out }

    mutating func encodeNil() throws {
        try encoder.beginSingleValue()
        out.pointee.writeNull()
    }
    mutating func encode(_ value: Bool) throws {
        try encoder.beginSingleValue()
        out.pointee.writeBool(value)
    }
    mutating func encode(_ value: String) throws {
        try encoder.beginSingleValue()
        out.pointee.writeString(value)
    }
    mutating func encode(_ value: Double) throws {
        try encoder.beginSingleValue()
        try out.pointee.writeFloat(value, codingPath: { codingPath })
    }
    mutating func encode(_ value: Float) throws {
        try encoder.beginSingleValue()
        try out.pointee.writeFloat(value, codingPath: { codingPath })
    }
    mutating func encode(_ value: Int) throws {
        try encoder.beginSingleValue()
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: Int8) throws {
        try encoder.beginSingleValue()
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: Int16) throws {
        try encoder.beginSingleValue()
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: Int32) throws {
        try encoder.beginSingleValue()
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: Int64) throws {
        try encoder.beginSingleValue()
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: UInt) throws {
        try encoder.beginSingleValue()
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: UInt8) throws {
        try encoder.beginSingleValue()
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: UInt16) throws {
        try encoder.beginSingleValue()
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: UInt32) throws {
        try encoder.beginSingleValue()
        out.pointee.writeInteger(value)
    }
    mutating func encode(_ value: UInt64) throws {
        try encoder.beginSingleValue()
        out.pointee.writeInteger(value)
    }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try encoder.beginSingleValue()
        try encoder.stream.write(value, parent: encoder, key: nil)
    }
}
