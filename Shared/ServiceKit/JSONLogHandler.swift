import Contracts
import Logging
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

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
        Self.emit(Self.line(fields))
    }

    /// Held while a line is written. One write(2) of a line up to 4 KiB to a pipe is atomic, but
    /// a longer line (an error's description) may go in parts, and so may any line a signal
    /// interrupts; another thread's line must not land between them.
    private static let output = Mutex(())

    /// Writes the whole line to standard output, or as much as it takes: if standard output is
    /// closed or would block, the rest is dropped rather than the request held up.
    private static func emit(_ line: [UInt8]) {
        output.withLock { _ in
            line.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress else { return }
                var offset = 0
                while offset < bytes.count {
                    let written = write(STDOUT_FILENO, base + offset, bytes.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0, errno == EINTR {
                        continue
                    } else {
                        // The next line must not be glued to this one's remains.
                        if offset > 0 { _ = write(STDOUT_FILENO, "\n", 1) }
                        return
                    }
                }
            }
        }
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
                line.append(contentsOf: [
                    backslash, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)],
                ])
            default: line.append(byte)
            }
        }
        line.append(UInt8(ascii: "\""))
    }
}
