import Contracts
import Logging
import Storage
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Fixed-window rate limiting shared by every replica through Redis, with an in-process
/// window per replica when Redis cannot answer (a cache outage must not lift the limit,
/// nor become an outage).
public final class RateLimiter: Sendable {
    public struct Decision: Sendable, Equatable {
        public let allowed: Bool
        public let limit: Int
        public let remaining: Int
        /// Seconds until the window resets (at least 1).
        public let resetSeconds: Int
    }

    public let windowMs: Int
    public let maxRequests: Int
    private let redis: RedisClient?
    private let prefix: String
    private let local = Mutex<LocalWindows>(LocalWindows())

    /// `maxRequests == 0` disables limiting.
    public init(windowMs: Int, maxRequests: Int, redis: RedisClient?, service: String) {
        self.windowMs = max(windowMs, 1)
        self.maxRequests = maxRequests
        self.redis = redis
        self.prefix = "cs:\(service):rl:"
    }

    public var isEnabled: Bool { maxRequests > 0 }

    /// Counts one request for `key` and says whether it may proceed.
    public func hit(_ key: String, now: Date = Date()) async -> Decision {
        let nowMs = Int(now.timeIntervalSince1970 * 1000)
        let window = nowMs / windowMs
        let resetSeconds = max(1, Int((Double((window + 1) * windowMs - nowMs) / 1000).rounded(.up)))
        let count = await redisCount(key, window: window) ?? local.withLock { $0.increment(key, window: window) }
        return Decision(
            allowed: count <= maxRequests, limit: maxRequests,
            remaining: max(0, maxRequests - count), resetSeconds: resetSeconds
        )
    }

    /// INCR and, on the window's first hit, PEXPIRE — atomically, in one round trip.
    private static let script = """
        local n = redis.call('INCR', KEYS[1])
        if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        return n
        """

    private func redisCount(_ key: String, window: Int) async -> Int? {
        guard let redis else { return nil }
        let reply = try? await redis.send(["EVAL", Self.script, "1", "\(prefix)\(key):\(window)", String(windowMs)])
        return reply?.integer
    }
}

/// The per-replica fallback: one counter per key for the current window.
struct LocalWindows {
    private var window = -1
    /// By the key's bytes, as Redis keys them: a `String` key would give two users whose ids
    /// are only canonically equivalent one window.
    private var counts: [UserID: Int] = [:]

    mutating func increment(_ key: String, window: Int) -> Int {
        if window != self.window {
            // A new window: every old counter is obsolete, which also bounds memory.
            self.window = window
            counts.removeAll(keepingCapacity: true)
        }
        counts[UserID(key), default: 0] += 1
        return counts[UserID(key)]!
    }
}
