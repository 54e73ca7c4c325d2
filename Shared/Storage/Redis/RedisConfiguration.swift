#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where Redis is, parsed from `REDIS_URL` (`redis://[:password@]host[:port][/db]`), and how
/// long we are willing to wait for it.
public struct RedisConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var password: String?
    public var database: Int
    /// Redis is a cache: a slow Redis must cost a request at most this much.
    public var connectTimeout: Duration = .milliseconds(250)
    public var commandTimeout: Duration = .milliseconds(250)
    /// After a failure, commands fail fast (callers fall back) until this has passed.
    public var retryDelay: Duration = .seconds(1)

    public init(host: String, port: Int = 6379, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.password = password
        self.database = database
    }

    public init(url: String) throws(InvalidSetting) {
        guard let parts = URLComponents(string: url), parts.scheme == "redis" else {
            throw InvalidSetting("must be a redis:// URL")
        }
        guard let host = parts.host, !host.isEmpty else { throw InvalidSetting("has no host") }
        let path = parts.path.drop(while: { $0 == "/" })
        guard path.isEmpty || Int(path) != nil else { throw InvalidSetting("has a database that is not a number") }
        self.init(
            host: host, port: parts.port ?? 6379,
            password: parts.password.map { $0.removingPercentEncoding ?? $0 },
            database: Int(path) ?? 0
        )
    }
}
