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
        var pool: PoolGeneration
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
        self.state = Mutex(State(pool: PoolGeneration(PostgresClient(configuration: self.configuration, backgroundLogger: logger))))
    }

    /// The pool, or nil while the database is known to be unreachable.
    var available: PoolGeneration? {
        state.withLock { $0.reachable ? $0.pool : nil }
    }

    var isReachable: Bool { state.withLock { $0.reachable } }

    /// Called after each successful use of the pool.
    func noteServed() {
        servedCount.add(1, ordering: .relaxed)
    }

    /// Runs the pool and the watch until cancelled or shut down gracefully, then closes the pool.
    func run() async {
        state.withLock { state in
            let client = state.pool.client
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
        let fresh = PoolGeneration(PostgresClient(configuration: configuration, backgroundLogger: logger))
        let client = fresh.client
        let running = Task { await client.run() }
        let (oldPool, oldRunning) = state.withLock { state in
            defer { state = State(pool: fresh, running: running, reachable: reachable) }
            return (state.pool, state.running)
        }
        oldPool.lose()
        oldRunning?.cancel()
    }

    /// `SELECT 1`, or a thrown error after `timeout`. Whichever comes first ends the wait: a
    /// query on a connection the server is dropping can hang even after the connection is
    /// closed, so it is left to finish on its own rather than awaited.
    private static func selectOne(on connection: PostgresConnection, within timeout: Duration, logger: Logger) async throws {
        let first = FirstOutcome<Void>()
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

/// One connection pool and the operations running on it. When the database is lost the pool
/// is replaced, and whatever still runs on the old one fails at once (`StorageError.unavailable`)
/// rather than waiting on it: postgres-nio can leave a statement on a connection the server is
/// dropping waiting forever, even after the connection closed.
final class PoolGeneration: Sendable {
    let client: PostgresClient
    private let state = Mutex<(lost: Bool, nextId: Int, onLost: [Int: @Sendable () -> Void])>((false, 0, [:]))

    init(_ client: PostgresClient) {
        self.client = client
    }

    /// Runs `operation` on this pool in a task of its own, and answers with its outcome, or
    /// with `StorageError.unavailable` as soon as the pool is lost (the operation is then
    /// left to end on its own). Cancelling the caller cancels the operation.
    func run<Result: Sendable>(_ operation: @escaping @Sendable (PostgresClient) async throws -> Result) async throws -> Result {
        let outcome = FirstOutcome<Result>(), work = WorkTask()
        let client = self.client
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                outcome.waiting(continuation)
                guard let id = register({ outcome.resume(with: .failure(StorageError.unavailable)) }) else {
                    outcome.resume(with: .failure(StorageError.unavailable))
                    return
                }
                work.start(Task {
                    defer { self.unregister(id) }
                    do {
                        outcome.resume(with: .success(try await operation(client)))
                    } catch {
                        outcome.resume(with: .failure(error))
                    }
                })
            }
        } onCancel: {
            work.cancel()
        }
    }

    /// Fails every operation still running on this pool.
    func lose() {
        let waiting = state.withLock { state in
            state.lost = true
            defer { state.onLost.removeAll() }
            return Array(state.onLost.values)
        }
        waiting.forEach { $0() }
    }

    private func register(_ onLost: @escaping @Sendable () -> Void) -> Int? {
        state.withLock { state in
            guard !state.lost else { return nil }
            state.nextId += 1
            state.onLost[state.nextId] = onLost
            return state.nextId
        }
    }

    private func unregister(_ id: Int) {
        _ = state.withLock { $0.onLost.removeValue(forKey: id) }
    }
}

/// The task an operation runs in, cancelled with its caller (also when that comes first).
private final class WorkTask: Sendable {
    private let state = Mutex<(task: Task<Void, Never>?, cancelled: Bool)>((nil, false))

    func start(_ task: Task<Void, Never>) {
        let cancelled = state.withLock { state in
            state.task = task
            return state.cancelled
        }
        if cancelled { task.cancel() }
    }

    func cancel() {
        state.withLock { state in
            state.cancelled = true
            return state.task
        }?.cancel()
    }
}

/// A continuation that the first of several racing tasks resumes.
public final class FirstOutcome<Value: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<Value, any Error>?>(nil)

    public init() {}

    public func waiting(_ continuation: CheckedContinuation<Value, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    /// Whether this call was the first.
    @discardableResult
    public func resume(with result: Result<Value, any Error>) -> Bool {
        guard let continuation = continuation.withLock({ $0.take() }) else { return false }
        continuation.resume(with: result)
        return true
    }
}
