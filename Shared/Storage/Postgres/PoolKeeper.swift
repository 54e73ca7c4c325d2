import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Keeps a service's connection pool in step with the database, which a connection of its
/// own asks `SELECT 1` every half second.
///
/// Without it, a request that needs the database while the database is down waits in the
/// pool's queue for a connection the pool cannot make, for up to a minute; and when the
/// database comes back, the pool reconnects only after its back-off, which by then has grown
/// to tens of seconds. So: while the last check failed, work fails at once
/// (`StorageError.unavailable`, a 503 with `Retry-After`); and at each change of verdict the
/// pool is replaced by a fresh one. Going down, that fails whatever was queued in the old
/// pool; coming back, the fresh pool connects at once.
final class PoolKeeper: Sendable {
    static let interval = Duration.milliseconds(500)
    static let timeout = Duration.seconds(1)

    private struct State {
        var client: PostgresClient
        var running: Task<Void, Never>?
        var reachable = true
    }

    private let state: Mutex<State>
    /// Statements the pool completed, ever (`noteServed`).
    private let servedCount = Atomic<Int>(0)
    private let configuration: PostgresClient.Configuration
    private let settings: DatabaseConfiguration
    private let logger: Logger

    init(_ configuration: DatabaseConfiguration, logger: Logger) {
        self.configuration = configuration.clientConfiguration
        self.settings = configuration
        self.logger = logger
        self.state = Mutex(State(client: PostgresClient(configuration: self.configuration, backgroundLogger: logger)))
    }

    /// The pool, or nil while the database is known to be unreachable.
    var available: PostgresClient? {
        state.withLock { $0.reachable ? $0.client : nil }
    }

    var isReachable: Bool { state.withLock { $0.reachable } }

    /// Called after each successful use of the pool.
    func noteServed() {
        servedCount.add(1, ordering: .relaxed)
    }

    /// Runs the pool and the watch until cancelled or shut down gracefully, then closes the pool.
    func run() async {
        state.withLock { state in
            let client = state.client
            state.running = Task { await client.run() }
        }
        await cancelWhenGracefulShutdown { await self.watch() }
        let last = state.withLock { $0.running }
        last?.cancel()
        await last?.value
    }

    /// A check that fails fast at the connection level (refused, reset, a server shutting down
    /// or starting up) is a database that is not there: down at once. One that times out may be
    /// a database, or a machine, that is merely slow: down only after `slowChecksForDown` in a
    /// row, and only while the pool itself completed nothing since the previous check: a
    /// database that keeps answering the pool's requests is busy, not gone (on a loaded 2-core
    /// machine a `SELECT 1` can take over a second). An error the server answers with (too many
    /// clients, a password rotated under the probe) says nothing about the pool's own
    /// connections and is counted like a slow check. Either way no busy moment turns every
    /// request into a 503.
    static let slowChecksForDown = 3

    private func watch() async {
        var probe: PostgresConnection?
        var probes = 0, inconclusive = 0
        var servedBefore = servedCount.load(ordering: .relaxed)
        while !Task.isCancelled {
            var reachable = true
            let started = ContinuousClock.now
            do {
                // A probe the server closed (a restart, or someone ending its backend) is
                // replaced at once; whether that works is the verdict.
                if probe?.isClosed == true { probe = nil }
                if probe == nil {
                    probes += 1
                    probe = try await PostgresConnection.connect(configuration: settings.probeConfiguration(), id: probes, logger: logger)
                }
                try await Self.selectOne(on: probe!, within: Self.timeout, logger: logger)
                inconclusive = 0
            } catch {
                if Task.isCancelled { break }
                try? await probe?.close()
                probe = nil
                // 57P01–57P03: the server is shutting down, or not accepting connections yet.
                let state = (error as? PSQLError)?.serverInfo?[.sqlState]
                let answeredByServer = state.map { !$0.hasPrefix("57P") } ?? false
                if answeredByServer || ContinuousClock.now - started >= Self.timeout / 2 {
                    if servedCount.load(ordering: .relaxed) != servedBefore {
                        // The pool's requests are being answered: the check was merely slow.
                        inconclusive = 0
                    } else {
                        inconclusive += 1
                    }
                    // Below the count, the verdict stays as it was (up or down).
                    reachable = inconclusive < Self.slowChecksForDown ? isReachable : false
                } else {
                    inconclusive = 0
                    reachable = false
                }
            }
            if reachable != isReachable { replacePool(reachable: reachable) }
            servedBefore = servedCount.load(ordering: .relaxed)
            try? await Task.sleep(for: Self.interval)
        }
        try? await probe?.close()
    }

    private func replacePool(reachable: Bool) {
        if reachable {
            logger.notice("database reachable again; serving with a fresh connection pool")
        } else {
            logger.warning("database unreachable; requests that need it fail at once until it is back")
        }
        let fresh = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let running = Task { await fresh.run() }
        let old = state.withLock { state in
            defer { state = State(client: fresh, running: running, reachable: reachable) }
            return state.running
        }
        old?.cancel()
    }

    /// `SELECT 1`, or a thrown error after `timeout`. Whichever comes first ends the wait: a
    /// query on a connection the server is dropping can hang even after the connection is
    /// closed, so it is left to finish on its own rather than awaited.
    private static func selectOne(on connection: PostgresConnection, within timeout: Duration, logger: Logger) async throws {
        let first = FirstOutcome()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            first.waiting(continuation)
            Task {
                do {
                    _ = try await connection.query("SELECT 1", logger: logger)
                    first.resume(with: .success(()))
                } catch {
                    first.resume(with: .failure(error))
                }
            }
            Task {
                try? await Task.sleep(for: timeout)
                if first.resume(with: .failure(StorageError.unavailable)) { try? await connection.close() }
            }
        }
    }
}

/// A continuation that the first of several racing tasks resumes.
private final class FirstOutcome: Sendable {
    private let continuation = Mutex<CheckedContinuation<Void, any Error>?>(nil)

    func waiting(_ continuation: CheckedContinuation<Void, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    /// Whether this call was the first.
    @discardableResult
    func resume(with result: Result<Void, any Error>) -> Bool {
        guard let continuation = continuation.withLock({ $0.take() }) else { return false }
        continuation.resume(with: result)
        return true
    }
}
