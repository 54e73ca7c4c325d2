import Contracts

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How to read one field: parse a JSON value into `Value`, or say what is wrong with it.
///
/// `fallback` is what a failing required field reads as. It never escapes: the reader's
/// `finish()` throws when any field failed, before the caller can use the values.
public struct FieldRule<Value: Sendable>: Sendable {
    public let fallback: Value
    public let parse: @Sendable (JSONValue) -> Result<Value, RuleFailure>

    public init(fallback: Value, parse: @escaping @Sendable (JSONValue) -> Result<Value, RuleFailure>) {
        self.fallback = fallback
        self.parse = parse
    }

    /// Adds a further check on a parsed value; `check` returns an error message or nil.
    public func checked(_ check: @escaping @Sendable (Value) -> String?) -> FieldRule {
        let parse = self.parse
        return FieldRule(fallback: fallback) { json in
            parse(json).flatMap { value in
                if let message = check(value) { return .failure(RuleFailure(message)) }
                return .success(value)
            }
        }
    }

    /// Transforms a parsed value (normalisation), or fails with a message.
    public func map<Other: Sendable>(fallback: Other, _ transform: @escaping @Sendable (Value) -> Result<Other, RuleFailure>) -> FieldRule<Other> {
        let parse = self.parse
        return FieldRule<Other>(fallback: fallback) { json in parse(json).flatMap(transform) }
    }
}

public struct RuleFailure: Error, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

extension FieldRule where Value == String {
    /// A string, trimmed of surrounding white space, whose length is in `length`. Lengths count
    /// Unicode code points, as JSON Schema and Postgres do (not Swift's grapheme clusters: "e"
    /// with a hundred combining accents is 101 long). NUL is refused: Postgres cannot store it.
    public static func string(_ length: ClosedRange<Int>, trimmed: Bool = true) -> FieldRule {
        FieldRule(fallback: "") { json in
            guard case .string(let raw) = json else { return .failure(RuleFailure("must be a string")) }
            let value = trimmed ? raw.trimmingCharacters(in: .whitespacesAndNewlines) : raw
            guard !value.unicodeScalars.contains("\u{0}") else { return .failure(RuleFailure("must not contain NUL characters")) }
            let count = value.unicodeScalars.count
            guard length.contains(count) else {
                if length.lowerBound == length.upperBound { return .failure(RuleFailure("must be \(length.lowerBound) characters")) }
                if count < length.lowerBound {
                    return .failure(RuleFailure(length.lowerBound == 1 ? "must not be empty" : "must be at least \(length.lowerBound) characters"))
                }
                return .failure(RuleFailure("must be at most \(length.upperBound) characters"))
            }
            return .success(value)
        }
    }

    /// Any string at all, for a route that checks it itself (a referral code's own 400).
    public static var anyString: FieldRule {
        FieldRule(fallback: "") { json in
            guard case .string(let value) = json else { return .failure(RuleFailure("must be a string")) }
            return .success(value)
        }
    }

    /// A string that matches `pattern` (a regular expression anchored by the caller).
    public static func matching(_ pattern: String, length: ClosedRange<Int> = 1...1000, message: String) -> FieldRule {
        string(length).checked { value in
            value.range(of: pattern, options: .regularExpression) == nil ? message : nil
        }
    }

    /// An email address (pragmatic check: one `@`, a dot in the domain, no spaces), lower-cased.
    public static var email: FieldRule {
        matching(#"^[^@\s]+@[^@\s]+\.[^@\s]+$"#, length: 3...254, message: "must be a valid email address")
            .map(fallback: "") { .success($0.lowercased()) }
    }

    /// An absolute `https` URL of at most `maxLength` characters, written as RFC 3986 allows
    /// (a space or an accented letter must be percent-encoded).
    public static func httpsURL(maxLength: Int = 500) -> FieldRule {
        string(1...maxLength).checked { value in
            guard value.utf8.allSatisfy(isURICharacter), let url = URLComponents(string: value), url.scheme?.lowercased() == "https",
                let host = url.host, !host.isEmpty
            else { return "must be an https URL" }
            return nil
        }
    }
}

/// Unreserved, reserved or `%` (RFC 3986 §2).
private func isURICharacter(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
    default: "-._~:/?#[]@!$&'()*+,;=%".utf8.contains(byte)
    }
}

extension FieldRule where Value == Int {
    public static func int(_ range: ClosedRange<Int>) -> FieldRule {
        FieldRule(fallback: range.lowerBound) { json in
            switch json {
            case .int(let value):
                return range.contains(value) ? .success(value) : .failure(RuleFailure("must be between \(range.lowerBound) and \(range.upperBound)"))
            case .double:
                return .failure(RuleFailure("must be an integer"))
            default:
                return .failure(RuleFailure("must be an integer"))
            }
        }
    }
}

extension FieldRule where Value == Bool {
    public static var bool: FieldRule {
        FieldRule(fallback: false) { json in
            guard case .bool(let value) = json else { return .failure(RuleFailure("must be a boolean")) }
            return .success(value)
        }
    }
}

extension FieldRule where Value == UUID {
    public static var uuid: FieldRule {
        FieldRule(fallback: UUID()) { json in
            guard case .string(let text) = json, let value = UUID(uuidString: text) else {
                return .failure(RuleFailure("must be a UUID"))
            }
            return .success(value)
        }
    }
}

extension FieldRule where Value: RawRepresentable & CaseIterable & Sendable, Value.RawValue == String {
    /// One of an enumeration's raw values, e.g. `KITCHEN | BEDROOM`.
    public static func oneOf(_ type: Value.Type) -> FieldRule {
        FieldRule(fallback: Value.allCases.first!) { json in
            guard case .string(let text) = json, let value = Value(rawValue: text) else {
                return .failure(RuleFailure("must be one of " + Value.allCases.map(\.rawValue).joined(separator: ", ")))
            }
            return .success(value)
        }
    }
}

extension FieldRule {
    /// A JSON array of at most `maxCount` elements, each read with `element`.
    public static func array<Element: Sendable>(of element: FieldRule<Element>, maxCount: Int) -> FieldRule<[Element]> {
        FieldRule<[Element]>(fallback: []) { json in
            guard case .array(let items) = json else { return .failure(RuleFailure("must be an array")) }
            guard items.count <= maxCount else { return .failure(RuleFailure("must have at most \(maxCount) items")) }
            var values: [Element] = []
            for (index, item) in items.enumerated() {
                switch element.parse(item) {
                case .success(let value): values.append(value)
                case .failure(let failure): return .failure(RuleFailure("item \(index) \(failure.message)"))
                }
            }
            return .success(values)
        }
    }
}

extension FieldRule where Value == Date {
    /// An ISO 8601 timestamp.
    public static var timestamp: FieldRule {
        FieldRule(fallback: Date()) { json in
            guard case .string(let text) = json, let date = Timestamp.parse(text) else {
                return .failure(RuleFailure("must be an ISO 8601 timestamp"))
            }
            return .success(date)
        }
    }
}
