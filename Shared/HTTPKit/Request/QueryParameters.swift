import Contracts
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads query parameters with the same rules as bodies; unknown parameters are ignored,
/// invalid ones are a 422 listing each of them.
public struct QueryParameters: Sendable {
    private let query: [String: String]
    private var errors: [FieldError] = []

    public init(_ request: Request) {
        self.init(query: request.uri.query)
    }

    /// A raw query string, form-encoded as browsers send it (CONTRACT §1): `+` and `%20` are
    /// spaces, `%2B` is a plus. A name given twice keeps its last value.
    public init(query raw: String?) {
        var query: [String: String] = [:]
        for pair in (raw ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            query[Self.decode(parts[0])] = parts.count > 1 ? Self.decode(parts[1]) : ""
        }
        self.query = query
    }

    private static func decode(_ text: Substring) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else { return String(text) }
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    public subscript(_ name: String) -> String? { query[name] }

    /// A parameter read with a field rule. Its text is offered as a number first when it
    /// is one, then as a string, so `.int` and `.string` rules both apply.
    public mutating func optional<Value>(_ name: String, _ rule: FieldRule<Value>) -> Value? {
        guard let text = query[name] else { return nil }
        let candidates: [JSONValue] = Int(text).map { [.int($0), .string(text)] } ?? [.string(text)]
        var firstFailure: RuleFailure?
        for candidate in candidates {
            switch rule.parse(candidate) {
            case .success(let value): return value
            case .failure(let failure): firstFailure = firstFailure ?? failure
            }
        }
        errors.append(FieldError(field: name, message: "\(name) \(firstFailure?.message ?? "is invalid")"))
        return nil
    }

    public mutating func optional<Value>(_ name: String, _ rule: FieldRule<Value>, default value: Value) -> Value {
        optional(name, rule) ?? value
    }

    /// `page` (≥ 1, default 1) and `limit` (1–100, default 20).
    public mutating func pagination() -> Pagination {
        Pagination(
            page: optional("page", .int(1...1_000_000), default: 1),
            limit: optional("limit", .int(1...100), default: 20)
        )
    }

    /// For routes whose only parameters are `page` and `limit`.
    public static func pagination(_ request: Request) throws(AppError) -> Pagination {
        var query = QueryParameters(request)
        let page = query.pagination()
        try query.finish()
        return page
    }

    public func finish() throws(AppError) {
        if !errors.isEmpty { throw AppError.validation(errors) }
    }
}

/// A page of a list: which rows to fetch, and the `meta` to answer with.
public struct Pagination: Sendable, Equatable {
    public let page: Int
    public let limit: Int

    public init(page: Int = 1, limit: Int = 20) {
        self.page = page
        self.limit = limit
    }

    public var offset: Int { (page - 1) * limit }

    /// Every row at once, for a data export.
    public static let everything = Pagination(page: 1, limit: Int(Int32.max))

    public func meta(total: Int) -> PageMeta {
        PageMeta(page: page, limit: limit, total: total)
    }
}
