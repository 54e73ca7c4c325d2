import Contracts
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

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

    /// A key of `parts`, each escaped (`keyPart`): user and product ids come from outside, and
    /// an id ending in `:gen` must never name another entry's generation.
    public func key(_ parts: String...) -> String {
        prefix + parts.map(Self.keyPart).joined(separator: ":")
    }

    /// One part of a key: `%` and `:` escaped, so that no value can name another's key or a
    /// key's `:gen`.
    static func keyPart(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: ":") }) else { return value }
        return value.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: ":", with: "%3A")
    }

    /// Returns the cached value for `key`, or loads, stores and returns it.
    /// `nil` from the loader is not cached.
    public func fetch<Value: Codable & Sendable>(
        _ key: String, as type: Value.Type = Value.self,
        load: () async throws -> Value?
    ) async throws -> Value? {
        let (cached, generation) = await lookup(key, generationOf: key)
        if let cached, let value = try? JSONCoding.decoder.decode(Value.self, from: Data(cached.utf8)) {
            return value
        }
        guard let value = try await load() else { return nil }
        if let json = try? JSONCoding.string(value) {
            await store(key, json, generation: generation)
        }
        return value
    }

    /// The cached JSON for `key`, or `load`'s value encoded with `JSONCoding.encoder`, stored
    /// and returned. Hot reads answer with these bytes as they are, without decoding and
    /// re-encoding. `nil` from the loader is not cached.
    ///
    /// Entries with the same `group` (the variants of one page: each sort order, page and
    /// limit) share the group's generation, so `invalidate(group)` makes all of them stale
    /// without knowing which variants were cached.
    public func fetchJSON<Value: Encodable & Sendable>(_ key: String, group: String? = nil, load: () async throws -> Value?) async throws -> String? {
        let (cached, generation) = await lookup(key, generationOf: group ?? key)
        if let cached { return cached }
        guard let value = try await load() else { return nil }
        let json = try JSONCoding.string(value)
        await store(key, json, generation: generation)
        return json
    }

    /// `invalidate` once the surrounding `Database.transaction` has committed (at once outside
    /// one; dropped on rollback): earlier, a read racing the write could cache the old rows again.
    public func invalidateAfterCommit(_ keys: [String]) async {
        let cache = self
        await AfterCommit.schedule {
            for key in keys { await cache.invalidate(key) }
        }
    }

    /// Makes the cached entries (or groups of entries) stale; call after the write that changed
    /// them has committed.
    ///
    /// Deleting alone would leave a race: a reader that loaded the old rows just before the
    /// commit could store them just after the delete, to be served until the TTL. So every key
    /// has a generation (`<key>:gen`, a random token) that invalidation replaces; an entry is
    /// stored with the generation its reader saw *before* loading, and is only served while
    /// that generation is current.
    public func invalidate(_ keys: String...) async {
        for key in keys {
            do {
                try await redis.send(["EVAL", Self.invalidateScript, "2", key, key + ":gen", UUID().lowercasedString, String(generationTTL)])
            } catch {
                // The TTL bounds how stale the entry can be; say so, loudly enough to notice.
                logger.warning("cache invalidation failed", metadata: ["key": "\(key)", "error": "\(error)"])
            }
        }
    }

    static let invalidateScript = "redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2]); return redis.call('DEL', KEYS[1])"

    /// Outlives every entry written under it, so an expired generation cannot come back.
    var generationTTL: Int { max(86_400, ttlSeconds * 10) }

    /// The entry (if it belongs to the current generation of `group`) and that generation, in
    /// one round trip; nothing when Redis is unavailable.
    private func lookup(_ key: String, generationOf group: String) async -> (String?, String) {
        guard let reply = try? await redis.send(["MGET", key, group + ":gen"]), case .array(let values) = reply, values.count == 2 else {
            return (nil, "")
        }
        let generation = values[1].string ?? "-"
        guard let entry = values[0].string, let separator = entry.firstIndex(of: "\n"),
            entry[..<separator] == generation
        else { return (nil, generation) }
        return (String(entry[entry.index(after: separator)...]), generation)
    }

    /// Best effort, and only when the lookup could read the generation.
    private func store(_ key: String, _ json: String, generation: String) async {
        guard !generation.isEmpty else { return }
        try? await redis.set(key, generation + "\n" + json, ttlSeconds: ttlSeconds)
    }
}
