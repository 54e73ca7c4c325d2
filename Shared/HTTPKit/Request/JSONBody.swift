import Contracts
import Hummingbird
import NIOFoundationCompat

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A field of a partial update: not sent, sent as `null`, or sent with a value.
public enum Patch<Value: Sendable>: Sendable {
    case absent
    case null
    case value(Value)

    public var isPresent: Bool {
        if case .absent = self { return false }
        return true
    }

    /// The value after applying this patch to `current`.
    public func applied(to current: Value?) -> Value? {
        switch self {
        case .absent: current
        case .null: nil
        case .value(let value): value
        }
    }
}

/// A strict reader for JSON object bodies.
///
/// Read every field the route accepts, then call `finish()`: it throws one 422 listing
/// every missing, mistyped, out-of-range and unknown field. Malformed JSON, a body that
/// is not an object, or a body with another content type is a 400.
///
///     var body = try await JSONBody(request, context: context)
///     let name = body.required("firstName", .string(1...100))
///     let phone = body.nullable("phone", .phone)
///     try body.finish()
public struct JSONBody: Sendable {
    public static let maxBytes = 64 * 1024

    private let fields: [String: JSONValue]
    private var seen: Set<String> = []
    private var errors: [FieldError] = []

    public init(_ request: Request, context: some RequestContext) async throws {
        var request = request
        let buffer = try await request.collectBody(upTo: Self.maxBytes)
        try self.init(buffer: buffer, contentType: request.headers[.contentType])
    }

    /// An empty body reads as `{}`, so routes whose fields are all optional accept it.
    public init(buffer: ByteBuffer, contentType: String?) throws(AppError) {
        guard buffer.readableBytes > 0 else {
            self.fields = [:]
            return
        }
        guard let contentType, contentType.lowercased().hasPrefix("application/json") else {
            throw .badRequest("Content-Type must be application/json")
        }
        let value: JSONValue
        do {
            value = try JSONCoding.decoder.decode(JSONValue.self, from: Data(buffer: buffer))
        } catch {
            throw .badRequest("Malformed JSON body")
        }
        guard case .object(let fields) = value else { throw .badRequest("Request body must be a JSON object") }
        // The decoder keeps one of two equal keys silently; which one a proxy or another
        // parser on the way would keep is anyone's guess, so the body is refused (CONTRACT §1).
        if let key = DuplicateKeys.first(in: buffer.readableBytesView) {
            throw .badRequest("Duplicate key \"\(key)\" in the JSON body")
        }
        self.fields = fields
    }

    /// Whether the client sent `name` (even as `null`).
    public func contains(_ name: String) -> Bool { fields[name] != nil }

    /// The names of the fields the client sent.
    public var sentFields: Set<String> { Set(fields.keys) }

    /// A field that must be present and valid; reads as the rule's fallback when it is not
    /// (and `finish()` then throws).
    public mutating func required<Value>(_ name: String, _ rule: FieldRule<Value>) -> Value {
        seen.insert(name)
        guard let json = fields[name], json != .null else {
            fail(name, "is required")
            return rule.fallback
        }
        return parse(name, json, rule) ?? rule.fallback
    }

    /// A field that may be left out; `null` is refused.
    public mutating func optional<Value>(_ name: String, _ rule: FieldRule<Value>) -> Value? {
        seen.insert(name)
        guard let json = fields[name] else { return nil }
        guard json != .null else {
            fail(name, "must not be null")
            return nil
        }
        return parse(name, json, rule)
    }

    /// A field that may be left out or set to `null` (to clear it).
    public mutating func nullable<Value>(_ name: String, _ rule: FieldRule<Value>) -> Patch<Value> {
        seen.insert(name)
        guard let json = fields[name] else { return .absent }
        if json == .null { return .null }
        return parse(name, json, rule).map { .value($0) } ?? .absent
    }

    /// Records a failure found by a rule that spans fields.
    public mutating func fail(_ field: String, _ message: String) {
        errors.append(FieldError(field: field, message: "\(field) \(message)"))
    }

    /// Throws a 422 listing every failing and every unknown field.
    public func finish() throws(AppError) {
        var all = errors
        for name in fields.keys.sorted() where !seen.contains(name) {
            all.append(FieldError(field: name, message: "\(name) is not an accepted field"))
        }
        if !all.isEmpty { throw AppError.validation(all) }
    }

    private mutating func parse<Value>(_ name: String, _ json: JSONValue, _ rule: FieldRule<Value>) -> Value? {
        switch rule.parse(json) {
        case .success(let value):
            return value
        case .failure(let failure):
            fail(name, failure.message)
            return nil
        }
    }
}
