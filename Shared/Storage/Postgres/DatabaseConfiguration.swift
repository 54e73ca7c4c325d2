import NIOSSL
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Connection settings for one service's schema, parsed from `DATABASE_URL`.
public struct DatabaseConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// The schema this service owns; every connection's `search_path` is set to it,
    /// so the service's SQL never names its schema.
    public var schema: String
    public var requireTLS: Bool
    public var maxConnections: Int
    /// Settings every pooled connection starts with (a service's `databaseSettings`).
    public var sessionSettings: [String: String] = [:]
    /// How long a pooled connection may sit unused before it is closed (postgres-nio's default
    /// is 60 s): a lull that long costs one reconnect per connection afterwards.
    static let idleTimeout: Duration = .seconds(10)

    /// Parses `postgres://user:password@host:port/database?sslmode=disable|prefer|require`.
    /// Throws a message fit to follow the variable's name.
    public init(url: String, schema: String, maxConnections: Int = 16) throws(InvalidSetting) {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme,
            ["postgres", "postgresql"].contains(scheme)
        else { throw InvalidSetting("must be a postgres:// URL") }
        guard let host = parts.host, !host.isEmpty else { throw InvalidSetting("has no host") }
        guard let user = parts.user, !user.isEmpty else { throw InvalidSetting("has no user name") }
        let database = String(parts.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw InvalidSetting("has no database name") }
        guard schema.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            throw InvalidSetting("schema '\(schema)' is not a lower-case SQL identifier")
        }
        let sslmode = parts.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable"
        guard ["disable", "prefer", "require"].contains(sslmode) else {
            throw InvalidSetting("has an unsupported sslmode '\(sslmode)'")
        }
        self.host = host
        self.port = parts.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = parts.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database
        self.schema = schema
        self.requireTLS = sslmode == "require"
        self.maxConnections = maxConnections
    }

    var clientConfiguration: PostgresClient.Configuration {
        var config = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database,
            tls: requireTLS ? .require(.makeClientConfiguration()) : .disable
        )
        config.options.additionalStartupParameters = [("search_path", schema)] + sessionSettings.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        config.options.maximumConnections = maxConnections
        config.options.connectTimeout = .seconds(3)
        // Each time a connection goes idle the pool arms a keep-alive and an idle-close timer,
        // and cancels them at the next lease; a cancelled `Task.sleep` keeps its memory until
        // its deadline (swiftlang/swift#60441), so the heap held ∝ leases/s × those durations
        // (docs/decisions/0008). No keep-alive: every connection is closed once idle for
        // `connectionIdleTimeout` anyway, and a dead one is found by the watch (0006).
        config.options.keepAliveBehavior = nil
        config.options.connectionIdleTimeout = Self.idleTimeout
        return config
    }

    /// The watch's own connection (`FailFastPool`): it must fail within the watch's timeout.
    func probeConfiguration() throws -> PostgresConnection.Configuration {
        var config = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database,
            tls: requireTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
        )
        config.options.connectTimeout = .seconds(1)
        return config
    }
}

/// A configuration value that cannot be used, with the reason.
public struct InvalidSetting: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
