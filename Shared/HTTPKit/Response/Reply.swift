#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird
import Storage

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
/// cache a whole response (a list with its `meta`) cache this, and answer with `Response.json`.
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
        Response.json(status: status, try JSONCoding.encoder.bytes(envelope))
    }
}

extension Cache {
    /// A finished response body (a list with its `meta`) from the cache, or loaded, stored and
    /// returned; entries of one `group` are made stale together.
    public func body<Payload>(
        _ key: String, group: String, load: () async throws -> SuccessBody<Payload>
    ) async throws -> String {
        guard let body = try await fetchJSON(key, group: group, load: { try await load() }) else { throw AppError.internalError }
        return body
    }
}

extension Response {
    /// A JSON response with an exact `Content-Length`.
    /// A success envelope around `data`, JSON that is already encoded (e.g. from the cache).
    public static func encoded(status: HTTPResponse.Status = .ok, data: String) -> Response {
        var body = ByteBuffer()
        body.reserveCapacity(data.utf8.count + 26)
        body.writeString(#"{"success":true,"data":"#)
        body.writeString(data)
        body.writeString("}")
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(body.readableBytes)],
            body: .init(byteBuffer: body))
    }

    /// A JSON response whose body is already encoded (e.g. a cached `SuccessBody`).
    public static func json(status: HTTPResponse.Status = .ok, _ body: String) -> Response {
        let buffer = ByteBuffer(string: body)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(buffer.readableBytes)],
            body: .init(byteBuffer: buffer))
    }

    public static func json(status: HTTPResponse.Status, _ body: [UInt8]) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(body.count)],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    public static func json(status: HTTPResponse.Status, _ body: Data, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.contentLength] = String(body.count)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
