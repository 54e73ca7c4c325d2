#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging

/// One JSON object per line on standard output: time, level, service, message, metadata.
struct JSONLogHandler: LogHandler {
    let service: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata { fields[key] = "\(value)" }
        for (key, value) in event.metadata ?? [:] { fields[key] = "\(value)" }
        if let error = event.error { fields["error"] = String(reflecting: error) }
        fields["time"] = Timestamp.iso8601(Date())
        fields["level"] = event.level.rawValue
        fields["service"] = service
        fields["message"] = event.message.description
        let line = Self.line(fields)
        // One write(2) per line: lines from concurrent requests never interleave.
        line.withUnsafeBytes { _ = write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    }

    /// The fields as one JSON object, keys sorted, and a newline. Written by hand: every request
    /// logs a line, and Foundation's `JSONEncoder` costs several times more per line.
    static func line(_ fields: [String: String]) -> [UInt8] {
        var line: [UInt8] = [UInt8(ascii: "{")]
        line.reserveCapacity(256)
        for (index, key) in fields.keys.sorted().enumerated() {
            if index > 0 { line.append(UInt8(ascii: ",")) }
            appendQuoted(key, to: &line)
            line.append(UInt8(ascii: ":"))
            appendQuoted(fields[key]!, to: &line)
        }
        line.append(contentsOf: [UInt8(ascii: "}"), UInt8(ascii: "\n")])
        return line
    }

    /// A JSON string: quotation mark, backslash and control characters escaped (RFC 8259 §7);
    /// everything else, UTF-8 included, as it is.
    private static func appendQuoted(_ text: String, to line: inout [UInt8]) {
        let backslash = UInt8(ascii: "\\")
        line.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), backslash: line.append(contentsOf: [backslash, byte])
            case 0x0A: line.append(contentsOf: [backslash, UInt8(ascii: "n")])
            case 0x0D: line.append(contentsOf: [backslash, UInt8(ascii: "r")])
            case 0x09: line.append(contentsOf: [backslash, UInt8(ascii: "t")])
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                line.append(contentsOf: [backslash, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: line.append(byte)
            }
        }
        line.append(UInt8(ascii: "\""))
    }
}
