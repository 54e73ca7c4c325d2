import Auth
import Foundation
import Logging
import ServiceKit

#if canImport(Testing)
import Testing
#endif

/// What `scripts/test` provides: an ephemeral PostgreSQL and Redis, the dev broker, the built
/// binaries and a running gateway. Suites that need them carry `.needsTestServers` or
/// `.needsStack`, so a plain `swift test` skips them and runs the rest.
public enum TestEnvironment {
    static let values = ProcessInfo.processInfo.environment

    static var serversArePresent: Bool { ["TEST_DATABASE_URL", "TEST_REDIS_URL", "TEST_KAFKA_BROKERS"].allSatisfy(isSet) }
    static var stackIsPresent: Bool { serversArePresent && ["GATEWAY_URL", "LW_BIN_DIR"].allSatisfy(isSet) }
    static func isSet(_ name: String) -> Bool { values[name].map { !$0.isEmpty } ?? false }

    static func required(_ name: String) -> String {
        guard let value = values[name], !value.isEmpty else {
            // A suite that reads this without `.needsTestServers` or `.needsStack`.
            fatalError("\(name) is not set: run the tests with scripts/test (it starts PostgreSQL, Redis and the stack)")
        }
        return value
    }

    /// A superuser URL of the test cluster's `lomash_wood_customer` database.
    public static var databaseURL: String { required("TEST_DATABASE_URL") }
    public static var redisURL: String { required("TEST_REDIS_URL") }
    /// The nginx gateway in front of the four services started from this build.
    public static var gatewayURL: String { required("GATEWAY_URL") }
    /// The dev Kafka broker the stack's services use.
    public static var kafkaBrokers: String { required("TEST_KAFKA_BROKERS") }
    /// Where the built executables are (`profiles`, `loyalty`, …).
    public static var binDirectory: String { required("LW_BIN_DIR") }
    public static var jwtSecret: String { values["JWT_SECRET"] ?? "dev-secret-change-me-0123456789abcdef" }

    /// A schema nobody else uses, so tests running in parallel never see each other's rows.
    public static func uniqueSchema(_ prefix: String) -> String {
        "t_\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// A user id no other test uses (rate limits and caches are keyed by it).
    public static func uniqueUser(_ prefix: String = "user") -> String {
        "\(prefix)-\(UUID().uuidString.lowercased())"
    }

    /// A service configuration for the test cluster: a fresh schema, the test Redis, quiet
    /// logs, and `overrides` on top.
    public static func configuration(
        service: String, schema: String? = nil, overrides: [String: String] = [:]
    ) throws -> ServiceConfiguration {
        var variables = [
            "DATABASE_URL": databaseURL,
            "DATABASE_SCHEMA": schema ?? uniqueSchema(service),
            "DATABASE_POOL_SIZE": "4",
            "REDIS_URL": redisURL,
            "JWT_SECRET": jwtSecret,
            "JOBS_ENABLED": "false",
            "RATE_LIMIT_MAX_REQUESTS": "0",
        ]
        variables.merge(overrides) { $1 }
        return try ServiceConfiguration(service: service, defaultPort: 0, environment: EnvironmentVariables(variables))
    }

    /// Signs a token with the test secret.
    public static func token(_ sub: String, role: Role = .customer, email: String? = nil, expiresIn: TimeInterval = 600) async throws -> String {
        try await TokenMinter(secret: jwtSecret).mint(sub: sub, role: role, email: email, expiresIn: expiresIn)
    }

    public static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        return logger
    }
}

/// Polls `condition` until it holds or `timeout` passes: for effects of events, which
/// arrive eventually.
public func eventually(timeout: Duration = .seconds(20), _ condition: @Sendable () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

// Only test builds see Swift Testing: a release build of the whole package (the images', the
// local stack's) builds this target too.
#if canImport(Testing)
extension Trait where Self == ConditionTrait {
    /// For suites that need `scripts/test`'s PostgreSQL, Redis and dev broker: without them the
    /// suite is skipped with this reason instead of stopping the whole run.
    public static var needsTestServers: Self {
        .enabled(if: TestEnvironment.serversArePresent, "needs PostgreSQL, Redis and the dev broker: run scripts/test")
    }

    /// For suites that call the running stack through its gateway.
    public static var needsStack: Self {
        .enabled(if: TestEnvironment.stackIsPresent, "needs the four servers and the gateway: run scripts/test")
    }
}
#endif
