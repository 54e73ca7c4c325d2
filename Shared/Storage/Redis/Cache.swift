import Foundation
import Logging

/// Cache-aside over Redis for JSON-encodable values, with keys under `cs:<service>:`.
///
/// Reads fall through to the loader whenever Redis is unavailable, and writes into the
/// cache are best-effort: a cache outage never becomes an API outage.
public struct Cache: Sendable {
    public let redis: RedisClient
    public let prefix: String
    public let ttlSeconds: Int
    let logger: Logger

    public init(redis: RedisClient, service: String, ttlSeconds: Int, logger: Logger) {
        self.redis = redis
        self.prefix = "cs:\(service):"
        self.ttlSeconds = ttlSeconds
        self.logger = logger
    }

    public func key(_ parts: String...) -> String {
        prefix + parts.joined(separator: ":")
    }

    /// Returns the cached value for `key`, or loads, stores and returns it.
    /// `nil` from the loader is not cached.
    public func fetch<Value: Codable & Sendable>(
        _ key: String, as type: Value.Type = Value.self,
        load: () async throws -> Value?
    ) async throws -> Value? {
        if let cached = try? await redis.get(key),
           let value = try? JSONCoding.decoder.decode(Value.self, from: Data(cached.utf8)) {
            return value
        }
        guard let value = try await load() else { return nil }
        if let data = try? JSONCoding.encoder.encode(value) {
            try? await redis.set(key, String(decoding: data, as: UTF8.self), ttlSeconds: ttlSeconds)
        }
        return value
    }

    /// The cached JSON for `key`, or `load`'s value encoded with `JSONCoding.encoder`, stored
    /// and returned. Hot reads answer with these bytes as they are, without decoding and
    /// re-encoding. `nil` from the loader is not cached.
    public func fetchJSON<Value: Encodable & Sendable>(_ key: String, load: () async throws -> Value?) async throws -> String? {
        if let cached = try? await redis.get(key) { return cached }
        guard let value = try await load() else { return nil }
        let json = String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self)
        try? await redis.set(key, json, ttlSeconds: ttlSeconds)
        return json
    }

    /// Drops cached entries; call after the write that made them stale has committed.
    public func invalidate(_ keys: String...) async {
        do {
            try await redis.delete(keys)
        } catch {
            // The TTL bounds how stale the entry can be; say so, loudly enough to notice.
            logger.warning("cache invalidation failed", metadata: ["keys": "\(keys)", "error": "\(error)"])
        }
    }
}
