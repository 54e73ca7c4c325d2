import EventBus
import Logging
import Storage

/// The settings every service shares (ARCHITECTURE §9), read and checked at start-up.
public struct ServiceConfiguration: Sendable {
    public enum LogFormat: String, Sendable { case json, text }

    public let service: String
    public let host: String
    public let port: Int
    public let database: DatabaseConfiguration
    public let redis: RedisConfiguration
    public let redisTTLSeconds: Int
    public let jwtSecret: String
    public let jwtIssuer: String?
    public let jwtAudience: String?
    /// nil when `KAFKA_BROKERS` is unset: events stay in the outbox until a broker is configured.
    public let kafka: KafkaConfiguration?
    public let allowedOrigins: [String]
    public let rateLimitWindowMs: Int
    public let rateLimitMaxRequests: Int
    public let logLevel: Logger.Level
    public let logFormat: LogFormat
    public let jobsEnabled: Bool
    public let migrateOnStart: Bool
    /// How long a starting service waits for PostgreSQL to answer (`DATABASE_WAIT_SECONDS`).
    public let databaseWaitSeconds: Int
    /// The variables themselves, for a service's own settings (loyalty thresholds, …).
    public let environment: EnvironmentVariables

    public init(service: String, defaultPort: Int, environment env: EnvironmentVariables = .init()) throws(ConfigurationError) {
        self.service = try env.string("SERVICE_NAME", default: service)
        self.host = try env.string("HOST", default: "127.0.0.1")
        self.port = try env.int("PORT", default: defaultPort, range: 1...65535)
        let schema = try env.string("DATABASE_SCHEMA", default: service)
        let poolSize = try env.int("DATABASE_POOL_SIZE", default: 8, range: 1...200)
        self.database = try env.parsed("DATABASE_URL") { url throws(InvalidSetting) in
            try DatabaseConfiguration(url: url, schema: schema, maxConnections: poolSize)
        }
        self.redis = try env.parsed("REDIS_URL", default: "redis://127.0.0.1:6379") { url throws(InvalidSetting) in
            try RedisConfiguration(url: url)
        }
        self.redisTTLSeconds = try env.int("REDIS_TTL_SECONDS", default: 300, range: 1...86_400)
        let secret = try env.string("JWT_SECRET")
        guard secret.utf8.count >= 32 else {
            throw ConfigurationError(variable: "JWT_SECRET", problem: "must be at least 32 bytes")
        }
        self.jwtSecret = secret
        self.jwtIssuer = env.optionalString("JWT_ISSUER")
        self.jwtAudience = env.optionalString("JWT_AUDIENCE")
        // Kafka is optional: without KAFKA_BROKERS, events wait in the outbox.
        let sessionTimeoutMs = try env.int("KAFKA_SESSION_TIMEOUT_MS", default: 6000, range: 1000...300_000)
        let fetchWaitMaxMs = try env.int("KAFKA_FETCH_WAIT_MAX_MS", default: 10, range: 0...10_000)
        self.kafka = env.optionalString("KAFKA_BROKERS").flatMap { $0.isEmpty ? nil : $0 }.map { brokers in
            KafkaConfiguration(
                brokers: brokers, clientId: env.optionalString("KAFKA_CLIENT_ID") ?? service,
                groupId: env.optionalString("KAFKA_GROUP_ID") ?? "customer-\(service)",
                sessionTimeoutMs: sessionTimeoutMs, fetchWaitMaxMs: fetchWaitMaxMs,
                properties: KafkaConfiguration.passThroughProperties(env.values))
        }
        self.allowedOrigins = env.list("ALLOWED_ORIGINS", default: ["http://localhost:3000"])
        self.rateLimitWindowMs = try env.int("RATE_LIMIT_WINDOW_MS", default: 60_000, range: 1...86_400_000)
        self.rateLimitMaxRequests = try env.int("RATE_LIMIT_MAX_REQUESTS", default: 100, range: 0...1_000_000_000)
        let level = try env.string("LOG_LEVEL", default: "info")
        guard let logLevel = Logger.Level(rawValue: level) else {
            throw ConfigurationError(
                variable: "LOG_LEVEL", problem: "must be one of trace, debug, info, notice, warning, error, critical (got '\(level)')")
        }
        self.logLevel = logLevel
        let format = try env.string("LOG_FORMAT", default: "json")
        guard let logFormat = LogFormat(rawValue: format) else {
            throw ConfigurationError(variable: "LOG_FORMAT", problem: "must be json or text (got '\(format)')")
        }
        self.logFormat = logFormat
        self.jobsEnabled = try env.bool("JOBS_ENABLED", default: true)
        self.migrateOnStart = try env.bool("MIGRATE_ON_START", default: true)
        self.databaseWaitSeconds = try env.int("DATABASE_WAIT_SECONDS", default: 30, range: 1...3600)
        self.environment = env
    }
}
