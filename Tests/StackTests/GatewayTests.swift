import Contracts
import Foundation
import HTTPKit
import Hummingbird
import TestSupport
import Testing

/// Through the nginx gateway in front of the four services `scripts/test` started.
@Suite(.needsStack) struct GatewayTests {
    static let contexts = ["profiles", "engagement", "support", "loyalty"]

    @Test func gatewayHealth() async throws {
        let response = try await gatewayRoot.get("/health", as: nil)
        #expect(response.status == .ok)
        #expect(response.text == #"{"status":"ok","service":"customer-service"}"#)
        #expect(response.headers[.requestId] != nil)
    }

    @Test(arguments: contexts)
    func eachContextIsReady(context: String) async throws {
        let response = try await gatewayRoot.get("/health/\(context)", as: nil)
        #expect(response.status == .ok)
        let ready = try response.decode(Readiness.self)
        #expect(ready.status == "ok")
        #expect(ready.checks["database"] == "ok")
        #expect(ready.checks["redis"] == "ok")
        #expect(ready.checks["kafka"] == "ok")
        // Other stack tests write events meanwhile: the relay keeps the lag to milliseconds.
        #expect(ready.outboxLag.map { $0 < 1 } == true)
    }

    @Test(arguments: contexts)
    func eachContextsMetricsAreReachable(context: String) async throws {
        _ = try await gatewayRoot.get("/health/\(context)", as: nil)
        let response = try await gatewayRoot.get("/metrics/\(context)", as: nil)
        #expect(response.status == .ok)
        #expect(response.text.contains("http_requests_total"))
    }

    @Test(arguments: ["/v1/customers/unknown", "/v1/customers/profiles", "/v1/customers", "/nothing"])
    func unknownPathsAreAJSON404WithoutAToken(path: String) async throws {
        let response = try await gatewayRoot.get(path, as: nil, headers: [.requestId: "smoke-404"])
        #expect(response.status == .notFound)
        #expect(response.headers[.requestId] == "smoke-404")
        let envelope = try response.decode(ErrorEnvelope.self)
        #expect(envelope.success == false)
        #expect(envelope.error.code == "NOT_FOUND")
        #expect(envelope.requestId == "smoke-404")
    }

    /// A path the gateway routes, that the context does not know: the service's 404,
    /// with the caller's request id carried through.
    @Test(arguments: [
        "/v1/customers/profile/nope/deeper", "/v1/customers/wishlist/x/y/z", "/v1/customers/support/nope/x/y", "/v1/customers/loyalty/nope/x",
    ])
    func routedUnknownPathsAre404FromTheContext(path: String) async throws {
        let response = try await gatewayRoot.get(path, as: nil, headers: [.requestId: "smoke-routed"])
        #expect(response.status == .notFound)
        #expect(response.headers[.requestId] == "smoke-routed")
        #expect(response.requestId == "smoke-routed")
    }

    /// nginx's own refusals leave in the contract's envelope too.
    @Test func theGatewaysOwnRefusalsAreEnvelopes() async throws {
        for (method, path, status, code) in [
            (HTTPRequest.Method.trace, "/v1/customers/profile", HTTPResponse.Status.notFound, "NOT_FOUND"),
            (.post, "/health", .notFound, "NOT_FOUND"),
            (.get, "/v1/customers/wishlist/check/a%00b", .badRequest, "BAD_REQUEST"),
        ] {
            let reply = try await gatewayRoot.send(method, path, as: nil, json: nil)
            #expect(reply.status == status, "\(method) \(path)")
            #expect(reply.errorCode == code, "\(method) \(path): \(reply.text)")
            #expect(reply.headers[.requestId] != nil)
        }
    }

    /// CONTRACT §1: what nginx refuses before any context sees it leaves in the envelope too,
    /// with a request id and nosniff.
    @Test(arguments: [
        ("GARBAGE\r\n\r\n", 400, "BAD_REQUEST"),
        ("GET /\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: x\r\n\r\n", 414, "URI_TOO_LONG"),
        ("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 9000))\r\n\r\n", 431, "HEADERS_TOO_LARGE"),
        ("POST /v1/customers/profile HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "NOT_IMPLEMENTED"),
        ("GET /health HTTP/2.7\r\nHost: x\r\n\r\n", 505, "HTTP_VERSION_NOT_SUPPORTED"),
        ("POST /v1/customers/profile HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", 413, "PAYLOAD_TOO_LARGE"),
    ])
    func theGatewaysOwnErrorsAreEnvelopes(request: String, status: Int, code: String) async throws {
        let port = try #require(URLComponents(string: TestEnvironment.gatewayURL)?.port)
        let answer = try await rawHTTP(port: port, Array(request.utf8))
        let (head, body) = try #require(answer.range(of: "\r\n\r\n").map { (answer[..<$0.lowerBound], answer[$0.upperBound...]) }, "\(answer)")
        #expect(head.hasPrefix("HTTP/1.1 \(status)"), "\(head)")
        let headers = head.split(separator: "\r\n").dropFirst().map { $0.lowercased() }
        #expect(headers.contains("content-type: application/json"), "\(head)")
        #expect(headers.contains("x-content-type-options: nosniff"), "\(head)")
        let requestId = try #require(headers.first { $0.hasPrefix("x-request-id: ") }?.dropFirst("x-request-id: ".count), "\(head)")
        let envelope = try #require(try? JSONCoding.decoder.decode(ErrorEnvelope.self, from: Data(body.utf8)), "\(body)")
        #expect(envelope.success == false)
        #expect(envelope.error.code == code, "\(body)")
        #expect(envelope.requestId == String(requestId))
    }

    /// CONTRACT §1's headers, through the gateway to a context: a customer's data is
    /// `no-store`, and every answer, a context's, nginx's or a public page's, is `nosniff`.
    @Test func customerDataIsNoStoreAndEveryAnswerIsNosniff() async throws {
        let user = TestEnvironment.uniqueUser()
        let profile = try await gateway.get("/profile", as: user)
        #expect(profile.headers[.cacheControl] == "no-store")
        #expect(profile.headers[values: .contentTypeOptions] == ["nosniff"])
        for path in ["/v1/customers/reviews/product/none", "/health", "/nothing"] {
            let reply = try await gatewayRoot.get(path, as: nil)
            #expect(reply.headers[values: .contentTypeOptions] == ["nosniff"], "\(path)")
            #expect(reply.headers[.cacheControl] == nil, "\(path)")
        }
    }

    /// CONTRACT §1's duplicate keys, through the gateway to a context: the body is refused
    /// and nothing is written.
    @Test func aBodyWithDuplicateKeysIsRefusedThroughTheGateway() async throws {
        let user = TestEnvironment.uniqueUser()
        let duplicate = try await gateway.send(.post, "/profile", as: user, json: #"{"firstName":"Ann","lastName":"Lee","firstName":"Eve"}"#)
        #expect(duplicate.status == .badRequest)
        #expect(duplicate.errorCode == "BAD_REQUEST")
        #expect(try await gateway.get("/profile", as: user).status == .notFound)
    }

    @Test func aMintedTokenIsAccepted() async throws {
        // A routed path with no such route yet still proves auth runs after routing:
        // a bad token on an unknown path is a 404, not a 401.
        let response = try await gatewayRoot.get("/v1/customers/loyalty/nope/x", as: nil, headers: [.authorization: "Bearer junk"])
        #expect(response.status == .notFound)
    }

    /// `GET /health/<context>` (CONTRACT §11).
    private struct Readiness: Decodable {
        let status: String
        let checks: [String: String]
        let outboxLag: Double?
    }

    /// The contract's error envelope, whole: `success` too.
    private struct ErrorEnvelope: Decodable {
        let success: Bool
        let error: APIError
        let requestId: String
    }
}
