import Foundation
import ServiceKit
import TestSupport
import Testing

@Suite struct ConfigurationTests {
    let valid = [
        "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/db",
        "JWT_SECRET": "0123456789abcdef0123456789abcdef",
    ]

    func configuration(_ changes: [String: String?]) throws(ConfigurationError) -> ServiceConfiguration {
        var values = valid
        for (name, value) in changes { values[name] = value }
        return try ServiceConfiguration(service: "probe", defaultPort: 4999, environment: EnvironmentVariables(values))
    }

    @Test func defaults() throws {
        let config = try configuration([:])
        #expect(config.port == 4999 && config.host == "127.0.0.1")
        #expect(config.database.schema == "probe" && config.database.database == "db")
        #expect(config.rateLimitMaxRequests == 100 && config.rateLimitWindowMs == 60_000)
        #expect(config.allowedOrigins == ["http://localhost:3000"])
        #expect(config.redisTTLSeconds == 300 && config.logFormat == .json && config.jobsEnabled)
    }

    @Test(
        arguments: [
            ("JWT_SECRET", nil, "JWT_SECRET"),
            ("JWT_SECRET", "short", "JWT_SECRET"),
            ("DATABASE_URL", nil, "DATABASE_URL"),
            ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
            ("DATABASE_URL", "postgres://u@host:notaport/db", "DATABASE_URL"),
            ("PORT", "70000", "PORT"),
            ("RATE_LIMIT_MAX_REQUESTS", "many", "RATE_LIMIT_MAX_REQUESTS"),
            ("LOG_FORMAT", "xml", "LOG_FORMAT"),
            ("REDIS_URL", "http://x", "REDIS_URL"),
        ] as [(String, String?, String)])
    func aBadVariableIsNamed(name: String, value: String?, expected: String) {
        let error = #expect(throws: ConfigurationError.self) { _ = try configuration([name: value]) }
        #expect(error?.variable == expected)
    }
}

/// Runs the built executables (`LW_BIN_DIR`), which only `scripts/test` provides.
@Suite(.needsStack) struct ExecutableConfigurationTests {
    /// The built executables stop with one line naming the variable, and exit 1.
    @Test(arguments: [
        ("profiles", ["DATABASE_URL": "postgres://u:p@127.0.0.1:1/db"], "JWT_SECRET"),
        ("loyalty", ["DATABASE_URL": "not a url", "JWT_SECRET": "0123456789abcdef0123456789abcdef"], "DATABASE_URL"),
    ])
    func executablesRefuseToStart(executable: String, environment: [String: String], variable: String) async throws {
        let (status, output) = try await runToCompletion(
            TestEnvironment.binDirectory + "/" + executable, ["serve"],
            environment: environment.merging(["PATH": "/usr/bin:/bin", "PORT": String(try freePort())]) { $1 })
        #expect(status == 1)
        let lines = output.split(separator: "\n")
        #expect(lines.count == 1, "\(output)")
        #expect(lines.first?.hasPrefix("\(executable): configuration error: \(variable)") == true, "\(output)")
    }
}
