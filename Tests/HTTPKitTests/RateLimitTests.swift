import Foundation
import Hummingbird
import HummingbirdTesting
import Storage
import Testing
import TestSupport

/// Windows are fixed (aligned to the clock), so these tests use hour-long ones: with a minute,
/// a test that happened to straddle a minute's end saw its count start again (a CI run did).
@Suite struct RateLimitTests {
    static let hour = "3600000"

    @Test func the4thRequestInAWindowOf3Is429WithHeaders() async throws {
        try await withTestService(ProbeService.self, overrides: ["RATE_LIMIT_MAX_REQUESTS": "3", "RATE_LIMIT_WINDOW_MS": Self.hour]) { client, _ in
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            for remaining in [2, 1, 0] {
                try await client.execute(uri: "/v1/customers/widgets", method: .get, headers: bearer(token)) { (response: TestResponse) async throws in
                    #expect(response.status == .ok)
                    #expect(response.headers[.rateLimitLimit] == "3")
                    #expect(response.headers[.rateLimitRemaining] == String(remaining))
                }
            }
            try await client.execute(uri: "/v1/customers/widgets", method: .get, headers: bearer(token)) { (response: TestResponse) async throws in
                #expect(response.status == .tooManyRequests)
                #expect(try response.errorCode() == "RATE_LIMIT_EXCEEDED")
                let retryAfter = try #require(response.headers[.retryAfter].flatMap(Int.init))
                #expect((1...3600).contains(retryAfter))
                #expect(response.headers[.rateLimitRemaining] == "0")
            }
            // Another caller has its own window; health checks are never limited.
            let other = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            try await client.execute(uri: "/v1/customers/widgets", method: .get, headers: bearer(other)) { #expect($0.status == .ok) }
            for _ in 0..<5 {
                try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            }
        }
    }

    @Test func anonymousCallersAreLimitedByAddress() async throws {
        try await withTestService(ProbeService.self, overrides: ["RATE_LIMIT_MAX_REQUESTS": "2", "RATE_LIMIT_WINDOW_MS": Self.hour]) { client, _ in
            let ip = "203.0.113.\(Int.random(in: 1...254))-\(UUID().uuidString.prefix(6))"
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<3 {
                try await client.execute(uri: "/v1/customers/widgets", method: .get, headers: [.realIP: ip]) { statuses.append($0.status) }
            }
            #expect(statuses == [.unauthorized, .unauthorized, .tooManyRequests])
        }
    }

    @Test func stillLimitsInProcessWhenRedisStops() async throws {
        let redis = try await ChildProcess.redis()
        try await withTestService(ProbeService.self, overrides: ["REDIS_URL": redis.url, "RATE_LIMIT_MAX_REQUESTS": "3", "RATE_LIMIT_WINDOW_MS": Self.hour]) { client, _ in
            // The customer's first request must have been counted in Redis. On a loaded machine
            // the service's first Redis call can miss its 250 ms bound (a CI run saw it), and that
            // request is then counted in-process; such a customer is set aside for a fresh one.
            var configuration = try RedisConfiguration(url: redis.url)
            configuration.commandTimeout = .seconds(2)
            let observer = RedisClient(configuration, logger: TestEnvironment.quietLogger)
            var token: String?
            for _ in 0..<5 where token == nil {
                let user = TestEnvironment.uniqueUser()
                let candidate = try await TestEnvironment.token(user)
                try await client.execute(uri: "/v1/customers/widgets", method: .get, headers: bearer(candidate)) { #expect($0.status == .ok) }
                if case .array(let keys)? = try? await observer.send(["KEYS", "*\(user)*"]), keys.count == 1 { token = candidate }
            }
            observer.shutdown()
            let counted = try #require(token, "Redis counted none of five first requests")
            redis.stop()
            var statuses: [HTTPResponse.Status] = []
            let started = ContinuousClock.now
            for _ in 0..<4 {
                try await client.execute(uri: "/v1/customers/widgets", method: .get, headers: bearer(counted)) { statuses.append($0.status) }
            }
            // The in-process window starts counting when Redis goes away. Without Redis each
            // request still answers promptly (a refused connection, or at worst the client's
            // 250 ms bound per call), never waiting on it.
            #expect(statuses == [.ok, .ok, .ok, .tooManyRequests])
            #expect(ContinuousClock.now - started < .seconds(4))
        }
    }

    @Test func zeroDisablesLimiting() async throws {
        try await withTestService(ProbeService.self, overrides: ["RATE_LIMIT_MAX_REQUESTS": "0"]) { client, _ in
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            for _ in 0..<30 {
                try await client.execute(uri: "/v1/customers/widgets", method: .get, headers: bearer(token)) { (response: TestResponse) async throws in
                    #expect(response.status == .ok)
                    #expect(response.headers[.rateLimitLimit] == nil)
                }
            }
        }
    }
}
