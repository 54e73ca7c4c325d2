import Contracts
import Hummingbird
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `meta` of a list response (CONTRACT §1).
public struct PageMeta: Sendable, Equatable, Codable {
    public let page: Int
    public let limit: Int
    public let total: Int
    public let totalPages: Int
    public let hasNextPage: Bool
    public let hasPreviousPage: Bool

    public init(page: Int, limit: Int, total: Int) {
        self.page = page
        self.limit = limit
        self.total = total
        self.totalPages = total == 0 ? 0 : (total + limit - 1) / limit
        self.hasNextPage = page < totalPages
        self.hasPreviousPage = page > 1
    }
}

/// The body of a success response: `{"success": true, "data": …, "meta"?: …}`. Routes that
/// cache a response cache this whole, and answer with `Response.json`.
public struct SuccessBody<Payload: Encodable & Sendable>: Encodable, Sendable {
    public let success = true
    public let data: Payload
    public let meta: PageMeta?

    public init(_ data: Payload, meta: PageMeta? = nil) {
        self.data = data
        self.meta = meta
    }
}

/// A success response in the contract's envelope.
public struct Reply<Payload: Encodable & Sendable>: ResponseGenerator, Sendable {
    public let status: HTTPResponse.Status
    private let envelope: SuccessBody<Payload>

    public init(status: HTTPResponse.Status = .ok, _ data: Payload, meta: PageMeta? = nil) {
        self.status = status
        self.envelope = SuccessBody(data, meta: meta)
    }

    public static func ok(_ data: Payload) -> Reply { Reply(data) }
    public static func created(_ data: Payload) -> Reply { Reply(status: .created, data) }
    public static func page(_ data: Payload, _ meta: PageMeta) -> Reply { Reply(data, meta: meta) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response.json(status: status, try JSONCoding.encoder.encode(envelope))
    }
}

extension Cache {
    /// A finished response body (`SuccessBody`) from the cache, or loaded, stored and returned;
    /// entries of one `group` are made stale together.
    public func body<Payload>(
        _ key: String, group: String? = nil, load: () async throws -> SuccessBody<Payload>
    ) async throws -> String {
        guard let body = try await fetchJSON(key, group: group, load: { try await load() }) else { throw AppError.internalError }
        return body
    }
}

extension Response {
    /// The one way a JSON body leaves, encoded (`JSONCoding.encoder`) or from the cache: its
    /// content type and an exact `Content-Length`.
    public static func json(status: HTTPResponse.Status = .ok, _ body: some Sequence<UInt8>, headers: HTTPFields = [:]) -> Response {
        let buffer = ByteBuffer(bytes: body)
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.contentLength] = String(buffer.readableBytes)
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }
}
