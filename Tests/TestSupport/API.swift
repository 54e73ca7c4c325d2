import AsyncHTTPClient
import Auth
import Contracts
import Foundation
import HTTPKit
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1

/// The one way tests call the API: a service's router in process (HummingbirdTesting) or the
/// stack's nginx gateway over HTTP, with the same calls and the same typed answers.
///
///     let api = API(client)                        // a router under test
///     let added = try await api.post("/wishlist/items", as: user, body: ["productId": "oak", "category": "KITCHEN"])
///     #expect(added.status == .created)
///     #expect(try added.data(WishlistItem.self).productId == "oak")
///
/// Paths are relative to `prefix` (`/v1/customers`); `API.gateway(prefix: "")` reaches the
/// gateway's own paths (`/health`, `/metrics/<context>`).
public struct API: Sendable {
    enum Target: Sendable {
        case router(any TestClientProtocol)
        case gateway(String)
    }

    let target: Target
    public let prefix: String

    /// The router of a service started by `withTestService`.
    public init(_ client: any TestClientProtocol, prefix: String = "/v1/customers") {
        self.target = .router(client)
        self.prefix = prefix
    }

    /// The test stack's gateway (or another server at `base`, such as a context's own port).
    public static func gateway(base: String = TestEnvironment.gatewayURL, prefix: String = "/v1/customers") -> API {
        API(target: .gateway(base), prefix: prefix)
    }

    /// The same server at another prefix (`""` for `/health`, `/metrics`).
    public func at(_ prefix: String) -> API { API(target: target, prefix: prefix) }

    /// The port of a service started with `setup: .live` (for raw-socket tests).
    public var port: Int? {
        guard case .router(let client) = target else { return nil }
        return client.port
    }

    init(target: Target, prefix: String) {
        self.target = target
        self.prefix = prefix
    }

    public func get(_ path: String, as user: String?, role: Role = .customer, headers: HTTPFields = [:]) async throws -> Answer {
        try await send(.get, path, as: user, role: role, json: nil, headers: headers)
    }

    public func delete(_ path: String, as user: String?, role: Role = .customer, headers: HTTPFields = [:]) async throws -> Answer {
        try await send(.delete, path, as: user, role: role, json: nil, headers: headers)
    }

    public func post(
        _ path: String, as user: String?, role: Role = .customer, body: JSONValue? = nil, headers: HTTPFields = [:]
    ) async throws -> Answer {
        try await send(.post, path, as: user, role: role, json: body.map(Self.text), headers: headers)
    }

    public func put(
        _ path: String, as user: String?, role: Role = .customer, body: JSONValue? = nil, headers: HTTPFields = [:]
    ) async throws -> Answer {
        try await send(.put, path, as: user, role: role, json: body.map(Self.text), headers: headers)
    }

    public func patch(
        _ path: String, as user: String?, role: Role = .customer, body: JSONValue? = nil, headers: HTTPFields = [:]
    ) async throws -> Answer {
        try await send(.patch, path, as: user, role: role, json: body.map(Self.text), headers: headers)
    }

    /// A request with any `Encodable` body.
    public func send(
        _ method: HTTPRequest.Method, _ path: String, as user: String?, role: Role = .customer,
        body: some Encodable & Sendable, headers: HTTPFields = [:]
    ) async throws -> Answer {
        try await send(method, path, as: user, role: role, json: try Self.text(body), headers: headers)
    }

    static func text(_ body: some Encodable) throws -> String {
        String(decoding: try JSONCoding.encoder.encode(body), as: UTF8.self)
    }

    /// A request whose body is sent exactly as written: for malformed JSON, duplicate keys and
    /// other bodies no `Encodable` value produces.
    public func send(
        _ method: HTTPRequest.Method, _ path: String, as user: String?, role: Role = .customer, json: String?,
        headers: HTTPFields = [:]
    ) async throws -> Answer {
        var headers = headers
        if let user { headers[.authorization] = "Bearer \(try await TestEnvironment.token(user, role: role))" }
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let uri = prefix + path
        switch target {
        case .router(let client):
            return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) {
                Answer(status: $0.status, headers: $0.headers, body: $0.body)
            }
        case .gateway(let base):
            var request = HTTPClientRequest(url: base + uri)
            request.method = HTTPMethod(rawValue: method.rawValue)
            for field in headers { request.headers.add(name: field.name.rawName, value: field.value) }
            if let json { request.body = .bytes(ByteBuffer(string: json)) }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 26)  // a data export can be megabytes
            var fields = HTTPFields()
            for (name, value) in response.headers {
                if let name = HTTPField.Name(name) { fields.append(.init(name: name, value: value)) }
            }
            return Answer(status: HTTPResponse.Status(code: Int(response.status.code)), headers: fields, body: body)
        }
    }
}

/// A response as tests read it: status, headers, and the body decoded into the types the
/// contract describes. Reading a field that is not there, or of another type, throws with the
/// body in the message instead of reading as nil.
public struct Answer: Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let headers: HTTPFields
    public let body: ByteBuffer

    public var text: String { String(buffer: body) }
    public var description: String { "\(status.code) \(text)" }

    /// The whole body as `T`.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        do {
            return try JSONCoding.decoder.decode(T.self, from: Data(body.readableBytesView))
        } catch {
            throw TestFailure("\(status.code) \(text) does not decode as \(T.self): \(error)")
        }
    }

    /// `data` of a success envelope.
    public func data<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        guard (200..<300).contains(status.code) else { throw TestFailure("expected a success, got \(self)") }
        return try decode(SuccessEnvelope<T>.self).data
    }

    /// `meta` of a list's success envelope.
    public func meta() throws -> PageMeta {
        guard let meta = try decode(SuccessEnvelope<JSONValue>.self).meta else { throw TestFailure("no meta in \(self)") }
        return meta
    }

    /// The error envelope's `error`, or nil when the body is not one.
    public var error: APIError? { try? JSONCoding.decoder.decode(ErrorBody.self, from: Data(body.readableBytesView)).error }
    /// The error envelope's `requestId`.
    public var requestId: String? { try? JSONCoding.decoder.decode(ErrorBody.self, from: Data(body.readableBytesView)).requestId }
    public var errorCode: String? { error?.code }
    /// `error.details` as `field: message`.
    public var errorDetails: [String: String] { error?.fields ?? [:] }
}

/// The `error` of the contract's error envelope.
public struct APIError: Decodable, Sendable, Equatable {
    public struct Detail: Decodable, Sendable, Equatable {
        public let field: String
        public let message: String
    }

    public let code: String
    public let message: String
    public let details: [Detail]?

    /// `details` as `field: message`.
    public var fields: [String: String] { Dictionary((details ?? []).map { ($0.field, $0.message) }) { first, _ in first } }
}

struct SuccessEnvelope<Payload: Decodable>: Decodable {
    let success: Bool
    let data: Payload
    let meta: PageMeta?
}

struct ErrorBody: Decodable {
    let success: Bool
    let error: APIError
    let requestId: String
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// JSON bodies written as literals: `["productId": "oak", "rating": 5, "notes": nil]`.
extension JSONValue: ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral,
    ExpressibleByStringLiteral, ExpressibleByStringInterpolation,
    ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral
{
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements) { _, last in last })
    }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(stringInterpolation: DefaultStringInterpolation) { self = .string(String(stringInterpolation: stringInterpolation)) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
}
