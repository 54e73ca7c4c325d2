#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The JSON coders every response, body, event, cache entry and job result uses, built once
/// per process.
public enum JSONCoding {
    /// Timestamps leave as ISO 8601 UTC with milliseconds (`2026-11-25T12:00:00.000Z`), `/` is
    /// not escaped, and the same value is always the same bytes (`StreamingJSONEncoder`).
    public static let encoder = StreamingJSONEncoder(
        fallback: {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .custom { date, encoder in
                var container = encoder.singleValueContainer()
                try container.encode(Timestamp.iso8601(date))
            }
            return encoder
        }())

    /// `value` as JSON text, with `encoder`.
    public static func string(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 timestamp")
            }
            return date
        }
        return decoder
    }()
}

/// ISO 8601 timestamps with millisecond precision, without a formatter per call.
public enum Timestamp {
    /// Rounded to the nearest millisecond: a `Date` holds a binary fraction, so `.561` parsed
    /// is a hair below it, and truncating would write `.560`.
    public static func iso8601(_ date: Date) -> String {
        let totalMillis = Int64((date.timeIntervalSince1970 * 1000).rounded(.toNearestOrAwayFromZero))
        var seconds = time_t(totalMillis / 1000)
        var millis = Int(totalMillis % 1000)
        if millis < 0 {
            millis += 1000
            seconds -= 1
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        // Written digit by digit: String(format:) costs more than the rest of a cached read.
        var bytes = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int, _ width: Int, at offset: Int) {
            var value = value
            for index in stride(from: offset + width - 1, through: offset, by: -1) {
                bytes[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(Int(parts.tm_year) + 1900, 4, at: 0)
        bytes[4] = UInt8(ascii: "-")
        put(Int(parts.tm_mon) + 1, 2, at: 5)
        bytes[7] = UInt8(ascii: "-")
        put(Int(parts.tm_mday), 2, at: 8)
        bytes[10] = UInt8(ascii: "T")
        put(Int(parts.tm_hour), 2, at: 11)
        bytes[13] = UInt8(ascii: ":")
        put(Int(parts.tm_min), 2, at: 14)
        bytes[16] = UInt8(ascii: ":")
        put(Int(parts.tm_sec), 2, at: 17)
        bytes[19] = UInt8(ascii: ".")
        put(millis, 3, at: 20)
        bytes[23] = UInt8(ascii: "Z")
        return String(decoding: bytes, as: UTF8.self)
    }

    /// 1600-01-01T00:00:00Z and 9999-12-31T23:59:59Z, in seconds since 1970.
    static let earliest = -11_676_096_000, latest = 253_402_300_799

    /// RFC 3339: `YYYY-MM-DDTHH:MM:SS`, any fraction, `Z` or an offset up to ±18:00; nothing
    /// before or after it, and only dates that exist (no 30 February, no hour 24). Years from
    /// 1600: the Gregorian calendar throughout, where Foundation's parser switches to the Julian
    /// one before 1582 and moves those dates by days.
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func digits(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var value = 0
            for byte in b[from..<(from + count)] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func at(_ index: Int, _ character: Unicode.Scalar) -> Bool { index < b.count && b[index] == UInt8(ascii: character) }
        guard b.count >= 20, let year = digits(0, 4), at(4, "-"), let month = digits(5, 2), at(7, "-"), let day = digits(8, 2),
            at(10, "T"), let hour = digits(11, 2), at(13, ":"), let minute = digits(14, 2), at(16, ":"), let second = digits(17, 2),
            (1600...9999).contains(year), (1...12).contains(month), hour < 24, minute < 60, second < 60
        else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else { return nil }
        var index = 19
        var fraction = 0.0
        if at(index, ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < b.count, let digit = digits(index, 1) {
                fraction += Double(digit) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offset = 0
        if at(index, "Z"), index + 1 == b.count {
            offset = 0
        } else if at(index, "+") || at(index, "-"), index + 6 == b.count, let hours = digits(index + 1, 2), at(index + 3, ":"),
            let minutes = digits(index + 4, 2), minutes < 60, hours < 18 || (hours == 18 && minutes == 0)
        {
            offset = (hours * 3600 + minutes * 60) * (at(index, "-") ? -1 : 1)
        } else {
            return nil
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = Int(timegm(&parts)) - offset
        // An offset or a rounded-up fraction can carry it past what four year digits write.
        guard (Self.earliest...Self.latest).contains(seconds), seconds < Self.latest || fraction < 0.9995 else { return nil }
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
