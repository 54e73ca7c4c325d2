import HTTPKit
import Hummingbird
import TestSupport
import Testing

/// CORS for the origins in `ALLOWED_ORIGINS`: the shop's front end calls the API from its own
/// origin, with the customer's token, and reads the headers the contract exposes.
@Suite(.needsTestServers) struct CORSTests {
    static let shop = "https://shop.example"
    static let allowed = ["ALLOWED_ORIGINS": "https://shop.example,https://admin.example"]

    @Test func aPreflightFromAnAllowedOriginIsAnsweredBeforeRoutingAndAuthentication() async throws {
        try await withProbe(overrides: Self.allowed) { api, _ in
            let preflight = try await api.send(
                .options, "/widgets", as: nil, json: nil,
                headers: [.origin: Self.shop, .accessControlRequestMethod: "POST", .accessControlRequestHeaders: "Authorization, Content-Type"])
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == Self.shop)
            #expect(preflight.headers[.accessControlAllowMethods] == "GET, POST, PUT, PATCH, DELETE, OPTIONS")
            #expect(preflight.headers[.accessControlAllowHeaders] == "Authorization, Content-Type")
            #expect(preflight.headers[.accessControlMaxAge] == "600" && preflight.headers[.accessControlAllowCredentials] == "true")
            #expect(preflight.headers[values: .vary].contains("Origin"))
        }
    }

    @Test func anAnswerToAnAllowedOriginNamesItAndExposesTheContractsHeaders() async throws {
        try await withProbe(overrides: Self.allowed) { api, _ in
            let answer = try await api.get("/widgets", as: TestEnvironment.uniqueUser(), headers: [.origin: "https://admin.example"])
            #expect(answer.status == .ok)
            #expect(answer.headers[.accessControlAllowOrigin] == "https://admin.example")
            #expect(answer.headers[.accessControlAllowCredentials] == "true")
            #expect(answer.headers[.accessControlExposeHeaders] == "X-Request-ID, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset")
            // An error leaves with the same headers, so the front end can read it.
            let refused = try await api.get("/widgets", as: nil, headers: [.origin: Self.shop])
            #expect(refused.status == .unauthorized && refused.headers[.accessControlAllowOrigin] == Self.shop)
        }
    }

    @Test func anotherOriginGetsNoCORSHeadersAndItsPreflightIsNotAnswered() async throws {
        try await withProbe(overrides: Self.allowed) { api, _ in
            let answer = try await api.get("/widgets", as: TestEnvironment.uniqueUser(), headers: [.origin: "https://evil.example"])
            #expect(answer.status == .ok && answer.headers[.accessControlAllowOrigin] == nil)
            let preflight = try await api.send(
                .options, "/widgets", as: nil, json: nil, headers: [.origin: "https://evil.example", .accessControlRequestMethod: "POST"])
            #expect(preflight.status != .noContent && preflight.headers[.accessControlAllowOrigin] == nil)
        }
    }
}
