import AsyncHTTPClient
import Foundation
import HTTPKit
import NIOCore
import NIOHTTP1
import Testing
import TestSupport

/// Through the nginx gateway in front of the four services `scripts/test` started.
@Suite struct GatewayTests {
    static let contexts = ["profiles", "engagement", "support", "loyalty"]

    @Test func gatewayHealth() async throws {
        let response = try await Gateway.get("/health")
        #expect(response.status == 200)
        #expect(response.body == #"{"status":"ok","service":"customer-service"}"#)
        #expect(response.headers.first(name: "X-Request-ID") != nil)
    }

    @Test(arguments: contexts)
    func eachContextIsReady(context: String) async throws {
        let response = try await Gateway.get("/health/\(context)")
        #expect(response.status == 200)
        let json = try response.json()
        #expect(json["status"] as? String == "ok")
        #expect((json["checks"] as? [String: String])?["database"] == "ok")
        #expect((json["checks"] as? [String: String])?["redis"] == "ok")
        #expect((json["checks"] as? [String: String])?["kafka"] == "ok")
        // Other stack tests write events meanwhile: the relay keeps the lag to milliseconds.
        #expect((json["outboxLag"] as? Double).map { $0 < 1 } == true)
    }

    @Test(arguments: contexts)
    func eachContextsMetricsAreReachable(context: String) async throws {
        _ = try await Gateway.get("/health/\(context)")
        let response = try await Gateway.get("/metrics/\(context)")
        #expect(response.status == 200)
        #expect(response.body.contains("http_requests_total"))
    }

    @Test(arguments: ["/v1/customers/unknown", "/v1/customers/profiles", "/v1/customers", "/nothing"])
    func unknownPathsAreAJSON404WithoutAToken(path: String) async throws {
        let response = try await Gateway.get(path, headers: ["X-Request-ID": "smoke-404"])
        #expect(response.status == 404)
        #expect(response.headers.first(name: "X-Request-ID") == "smoke-404")
        let json = try response.json()
        #expect(json["success"] as? Bool == false)
        #expect((json["error"] as? [String: Any])?["code"] as? String == "NOT_FOUND")
        #expect(json["requestId"] as? String == "smoke-404")
    }

    /// A path the gateway routes, that the context does not know: the service's 404,
    /// with the caller's request id carried through.
    @Test(arguments: ["/v1/customers/profile/nope/deeper", "/v1/customers/wishlist/x/y/z", "/v1/customers/support/nope/x/y", "/v1/customers/loyalty/nope/x"])
    func routedUnknownPathsAre404FromTheContext(path: String) async throws {
        let response = try await Gateway.get(path, headers: ["X-Request-ID": "smoke-routed"])
        #expect(response.status == 404)
        #expect(response.headers.first(name: "X-Request-ID") == "smoke-routed")
        #expect(try response.json()["requestId"] as? String == "smoke-routed")
    }

    /// nginx's own refusals leave in the contract's envelope too.
    @Test func theGatewaysOwnRefusalsAreEnvelopes() async throws {
        for (method, path, status, code) in [
            (HTTPMethod.TRACE, "/v1/customers/profile", 404, "NOT_FOUND"), (.POST, "/health", 404, "NOT_FOUND"),
            (.GET, "/v1/customers/wishlist/check/a%00b", 400, "BAD_REQUEST"),
        ] {
            let reply = try await Gateway.send(method, path)
            #expect(reply.status == status, "\(method) \(path)")
            #expect((try reply.json()["error"] as? [String: Any])?["code"] as? String == code, "\(method) \(path): \(reply.body)")
            #expect(reply.headers.first(name: "X-Request-ID") != nil)
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
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] ?? [:]
        #expect(json["success"] as? Bool == false)
        #expect((json["error"] as? [String: Any])?["code"] as? String == code, "\(body)")
        #expect(json["requestId"] as? String == String(requestId))
    }

    /// CONTRACT §1's headers and duplicate keys, through the gateway to a context.
    @Test func securityHeadersAndDuplicateKeysThroughTheGateway() async throws {
        let user = TestEnvironment.uniqueUser()
        let profile = try await send(.GET, "/profile", as: user)
        #expect(profile.headers.first(name: "Cache-Control") == "no-store")
        #expect(profile.headers["X-Content-Type-Options"] == ["nosniff"])
        for path in ["/v1/customers/reviews/product/none", "/health", "/nothing"] {
            let reply = try await Gateway.get(path)
            #expect(reply.headers["X-Content-Type-Options"] == ["nosniff"], "\(path)")
            #expect(reply.headers.first(name: "Cache-Control") == nil, "\(path)")
        }
        let duplicate = try await send(.POST, "/profile", as: user, json: #"{"firstName":"Ann","lastName":"Lee","firstName":"Eve"}"#)
        #expect(duplicate.status == 400)
        #expect((try duplicate.json()["error"] as? [String: Any])?["code"] as? String == "BAD_REQUEST")
        #expect(try await send(.GET, "/profile", as: user).status == 404)
    }

    @Test func aMintedTokenIsAccepted() async throws {
        // A routed path with no such route yet still proves auth runs after routing:
        // a bad token on an unknown path is a 404, not a 401.
        let response = try await Gateway.get("/v1/customers/loyalty/nope/x", headers: ["Authorization": "Bearer junk"])
        #expect(response.status == 404)
    }
}

enum Gateway {
    struct Reply {
        let status: Int
        let headers: HTTPHeaders
        let body: String

        func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] ?? [:]
        }
    }

    static func get(_ path: String, headers: [String: String] = [:]) async throws -> Reply {
        try await send(.GET, path, headers: headers)
    }

    /// A request to `base + path` (the test stack's gateway unless `base` names another server).
    static func send(
        _ method: HTTPMethod, _ path: String, base: String = TestEnvironment.gatewayURL, headers: [String: String] = [:], json: String? = nil
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 26)  // a data export can be megabytes
        return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
    }
}
