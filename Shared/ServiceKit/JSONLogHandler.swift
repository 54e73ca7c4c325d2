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

/// One JSON object per line on standard output: time, level, service, message, and the metadata
/// with its JSON types. A job run logs to standard error instead, so that its result alone is
/// on standard output.
struct JSONLogHandler: LogHandler {
    let service: String
    var logLevel: Logger.Level
    var output: Int32 = STDOUT_FILENO
    var metadata: Logger.Metadata = [:]
    /// `traceId` and `spanId` of a traced request's lines (`TraceExport.logMetadata`).
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        if let error = event.error { fields["error"] = .string(String(reflecting: error)) }
        fields["time"] = .string(Timestamp.iso8601(Date()))
        fields["level"] = .string(event.level.rawValue)
        fields["service"] = .string(service)
        fields["message"] = .string(event.message.description)
        Self.emit(Self.line(fields), to: output)
    }

    /// Held while a line is written. One write(2) of a line up to 4 KiB to a pipe is atomic, but
    /// a longer line (an error's description) may go in parts, and so may any line a signal
    /// interrupts; another thread's line must not land between them.
    private static let writing = Mutex(())

    /// Writes the whole line to `output`, or as much as it takes: if it is closed or would
    /// block, the rest is dropped rather than the request held up.
    private static func emit(_ line: [UInt8], to output: Int32) {
        writing.withLock { _ in
            line.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress else { return }
                var offset = 0
                while offset < bytes.count {
                    let written = write(output, base + offset, bytes.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0, errno == EINTR {
                        continue
                    } else {
                        // The next line must not be glued to this one's remains.
                        if offset > 0 { _ = write(output, "\n", 1) }
                        return
                    }
                }
            }
        }
    }

    /// The fields as one JSON object, keys sorted, and a newline. Written by hand: every request
    /// logs a line, and Foundation's `JSONEncoder` costs several times more per line.
    static func line(_ fields: Logger.Metadata) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        appendObject(fields, to: &line)
        line.append(UInt8(ascii: "\n"))
        return line
    }

    /// Values keep their JSON types: numbers and booleans given as `.stringConvertible` are
    /// written bare, a dictionary is an object, an array an array; anything else is a string.
    private static func append(_ value: Logger.MetadataValue, to line: inout [UInt8]) {
        switch value {
        case .string(let text): appendQuoted(text, to: &line)
        case .dictionary(let fields): appendObject(fields, to: &line)
        case .array(let values):
            line.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                append(value, to: &line)
            }
            line.append(UInt8(ascii: "]"))
        case .stringConvertible(let value):
            switch value {
            case let flag as Bool: line.append(contentsOf: (flag ? "true" : "false").utf8)
            case let number as any BinaryInteger: line.append(contentsOf: number.description.utf8)
            case let number as Double where number.isFinite: line.append(contentsOf: number.description.utf8)
            case let number as Float where number.isFinite: line.append(contentsOf: number.description.utf8)
            default: appendQuoted(value.description, to: &line)
            }
        }
    }

    private static func appendObject(_ fields: Logger.Metadata, to line: inout [UInt8]) {
        line.append(UInt8(ascii: "{"))
        for (index, key) in fields.keys.sorted().enumerated() {
            if index > 0 { line.append(UInt8(ascii: ",")) }
            appendQuoted(key, to: &line)
            line.append(UInt8(ascii: ":"))
            append(fields[key]!, to: &line)
        }
        line.append(UInt8(ascii: "}"))
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
