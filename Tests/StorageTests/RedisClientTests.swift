import Foundation
import NIOCore
import NIOPosix
import Storage
import TestSupport
import Testing

/// A client with roomy timeouts unless the test is about them: the suite starts whole
/// stacks beside these tests on two cores, and production's 250 ms (for a cache that must
/// never hold a request up) is not what they check.
func redisClient(_ url: String = TestEnvironment.redisURL, productionTimeouts: Bool = false) throws -> RedisClient {
    var configuration = try RedisConfiguration(url: url)
    if !productionTimeouts {
        configuration.connectTimeout = .seconds(2)
        configuration.commandTimeout = .seconds(2)
    }
    return RedisClient(configuration, logger: TestEnvironment.quietLogger)
}

/// Against the test Redis (`TEST_REDIS_URL`) and a `redis-server` of the test's own.
@Suite(.needsTestServers) struct RedisClientTests {
    @Test func roundTripsValuesWithTTLAndDeletes() async throws {
        let redis = try redisClient()
        defer { redis.shutdown() }
        let key = "test:\(UUID().uuidString)"
        #expect(try await redis.get(key) == nil)
        try await redis.set(key, "héllo \u{1F600}", ttlSeconds: 60)
        #expect(try await redis.get(key) == "héllo \u{1F600}")
        let ttl = try await redis.send(["TTL", key])
        #expect(ttl == .integer(60) || ttl == .integer(59))
        try await redis.delete([key])
        #expect(try await redis.get(key) == nil)
        #expect(await redis.ping())
        // Values with line breaks and no bytes at all travel as they are.
        for value in ["line\r\nbreak\n", ""] {
            try await redis.set(key, value, ttlSeconds: 60)
            #expect(try await redis.get(key) == value)
        }
        try await redis.delete([key])
    }

    @Test func pipelinesConcurrentCommandsInOrder() async throws {
        let redis = try redisClient()
        defer { redis.shutdown() }
        let prefix = "test:\(UUID().uuidString)"
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<200 {
                group.addTask {
                    try await redis.set("\(prefix):\(i)", "\(i)", ttlSeconds: 30)
                    #expect(try await redis.get("\(prefix):\(i)") == "\(i)")
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func aCacheStoresAndInvalidates() async throws {
        let redis = try redisClient()
        defer { redis.shutdown() }
        let cache = Cache(redis: redis, service: "test", ttlSeconds: 60, logger: TestEnvironment.quietLogger)
        let key = cache.key("thing", UUID().uuidString)
        let counter = Counter()
        for _ in 0..<3 { #expect(try await cache.fetch(key) { counter.next() } == 1) }
        await cache.invalidate(key)
        #expect(try await cache.fetch(key) { counter.next() } == 2)
    }

    /// The race a plain delete leaves: a reader loads the old rows, the write commits and
    /// invalidates, then the reader stores what it loaded. That entry must never be served.
    @Test func aValueLoadedBeforeAnInvalidationIsNotServedAfterIt() async throws {
        let redis = try redisClient()
        defer { redis.shutdown() }
        let cache = Cache(redis: redis, service: "test", ttlSeconds: 60, logger: TestEnvironment.quietLogger)
        let key = cache.key("thing", UUID().uuidString)
        let stale = try await cache.fetchJSON(key) { () async -> String? in
            await cache.invalidate(key)  // the write's invalidation, while this reader is loading
            return "old"
        }
        #expect(stale == #""old""#)
        #expect(try await cache.fetchJSON(key) { "new" } == #""new""#)
        #expect(try await cache.fetchJSON(key) { "newer" } == #""new""#)
    }

    @Test func aStoppedRedisIsDetectedAndARestartedOneIsUsedAgain() async throws {
        let server = try await ChildProcess.redis()
        let redis = try redisClient(server.url)
        defer { redis.shutdown() }
        try await redis.set("k", "v", ttlSeconds: 60)
        server.stop()
        await #expect(throws: RedisError.self) { _ = try await redis.get("k") }
        #expect(await redis.ping() == false)
    }
}

/// A Redis that accepts connections and never answers: a server of the test's own.
@Suite struct UnresponsiveRedisTests {
    @Test func aServerThatNeverAnswersTimesOutQuickly() async throws {
        try await withSilentServer { port in
            let redis = try redisClient("redis://127.0.0.1:\(port)", productionTimeouts: true)
            defer { redis.shutdown() }
            let started = ContinuousClock.now
            await #expect(throws: RedisError.self) { _ = try await redis.get("k") }
            #expect(ContinuousClock.now - started < .seconds(1))
            #expect(await redis.ping() == false)
        }
    }

    @Test func aCacheOverAnUnreachableRedisStillServesFromTheLoader() async throws {
        try await withSilentServer { port in
            let redis = try redisClient("redis://127.0.0.1:\(port)", productionTimeouts: true)
            defer { redis.shutdown() }
            let cache = Cache(redis: redis, service: "test", ttlSeconds: 60, logger: TestEnvironment.quietLogger)
            let started = ContinuousClock.now
            let value = try await cache.fetch(cache.key("profile", "u1")) { "from-postgres" }
            #expect(value == "from-postgres")
            #expect(ContinuousClock.now - started < .seconds(2))
        }
    }
}

/// Accepts TCP connections and never answers: a Redis that hangs.
func withSilentServer(_ body: (Int) async throws -> Void) async throws {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.backlog, value: 16)
        .bind(host: "127.0.0.1", port: 0).get()
    defer { channel.close(promise: nil) }
    try await body(channel.localAddress!.port!)
}

final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func next() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
    var current: Int { lock.withLock { value } }
}
