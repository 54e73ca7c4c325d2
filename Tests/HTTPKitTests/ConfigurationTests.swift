import Foundation
import ServiceKit
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
