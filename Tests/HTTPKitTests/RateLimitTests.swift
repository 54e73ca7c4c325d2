import Foundation
import HTTPKit
import Hummingbird
import Storage
import TestSupport
import Testing

/// Windows are fixed (aligned to the clock), so these tests use hour-long ones: with a minute,
/// a test that happened to straddle a minute's end saw its count start again (a CI run did).
@Suite(.needsTestServers) struct RateLimitTests {
    static let hour = "3600000"

    /// ProbeService allowing `maxRequests` per caller in an hour.
    func withLimit(_ maxRequests: Int, _ body: @Sendable (_ api: API, _ root: API) async throws -> Void) async throws {
        try await withProbe(overrides: ["RATE_LIMIT_MAX_REQUESTS": String(maxRequests), "RATE_LIMIT_WINDOW_MS": Self.hour], body)
    }

    @Test func the4thRequestInAWindowOf3Is429WithHeaders() async throws {
        try await withLimit(3) { api, _ in
            let user = TestEnvironment.uniqueUser()
            for remaining in [2, 1, 0] {
                let answer = try await api.get("/widgets", as: user)
                #expect(answer.status == .ok)
                #expect(answer.headers[.rateLimitLimit] == "3")
                #expect(answer.headers[.rateLimitRemaining] == String(remaining))
            }
            let refused = try await api.get("/widgets", as: user)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.errorCode == "RATE_LIMIT_EXCEEDED")
            let retryAfter = try #require(refused.headers[.retryAfter].flatMap(Int.init))
            #expect((1...3600).contains(retryAfter))
            #expect(refused.headers[.rateLimitRemaining] == "0")
        }
    }

    @Test func anotherCallerHasAWindowOfItsOwn() async throws {
        try await withLimit(3) { (api, _) async throws in
            let user = TestEnvironment.uniqueUser()
            for _ in 0..<3 { #expect(try await api.get("/widgets", as: user).status == .ok) }
            #expect(try await api.get("/widgets", as: user).status == .tooManyRequests)
            #expect(try await api.get("/widgets", as: TestEnvironment.uniqueUser()).status == .ok)
        }
    }

    @Test func healthChecksAreNeverLimited() async throws {
        try await withLimit(3) { (_, root) async throws in
            for _ in 0..<5 {
                #expect(try await root.get("/health", as: nil).status == .ok)
            }
        }
    }

    @Test func anonymousCallersAreLimitedByAddress() async throws {
        try await withLimit(2) { api, _ in
            let ip = "203.0.113.\(Int.random(in: 1...254))-\(UUID().uuidString.prefix(6))"
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<3 {
                statuses.append(try await api.get("/widgets", as: nil, headers: [.realIP: ip]).status)
            }
            #expect(statuses == [.unauthorized, .unauthorized, .tooManyRequests])
        }
    }

    @Test func stillLimitsInProcessWhenRedisStops() async throws {
        let redis = try await ChildProcess.redis()
        try await withProbe(overrides: ["REDIS_URL": redis.url, "RATE_LIMIT_MAX_REQUESTS": "3", "RATE_LIMIT_WINDOW_MS": Self.hour]) { api, _ in
            // The customer's first request must have been counted in Redis. On a loaded machine
            // the service's first Redis call can miss its 250 ms bound (a CI run saw it), and that
            // request is then counted in-process; such a customer is set aside for a fresh one.
            var configuration = try RedisConfiguration(url: redis.url)
            configuration.commandTimeout = .seconds(2)
            let observer = RedisClient(configuration, logger: TestEnvironment.quietLogger)
            var counted: String?
            for _ in 0..<5 where counted == nil {
                let user = TestEnvironment.uniqueUser()
                #expect(try await api.get("/widgets", as: user).status == .ok)
                if case .array(let keys)? = try? await observer.send(["KEYS", "*\(user)*"]), keys.count == 1 { counted = user }
            }
            observer.shutdown()
            let user = try #require(counted, "Redis counted none of five first requests")
            redis.stop()
            var statuses: [HTTPResponse.Status] = []
            let started = ContinuousClock.now
            for _ in 0..<4 {
                statuses.append(try await api.get("/widgets", as: user).status)
            }
            // The in-process window starts counting when Redis goes away. Without Redis each
            // request still answers promptly (a refused connection, or at worst the client's
            // 250 ms bound per call), never waiting on it.
            #expect(statuses == [.ok, .ok, .ok, .tooManyRequests])
            #expect(ContinuousClock.now - started < .seconds(4))
        }
    }

    @Test func zeroDisablesLimiting() async throws {
        try await withProbe(overrides: ["RATE_LIMIT_MAX_REQUESTS": "0"]) { api, _ in
            let user = TestEnvironment.uniqueUser()
            for _ in 0..<30 {
                let answer = try await api.get("/widgets", as: user)
                #expect(answer.status == .ok)
                #expect(answer.headers[.rateLimitLimit] == nil)
            }
        }
    }
}
