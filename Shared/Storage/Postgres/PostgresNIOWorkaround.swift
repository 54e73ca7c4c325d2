import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

// What postgres-nio 1.33 does that a service cannot live with, and how this file works around
// it. Delete the parts whose upstream fix has been released; the tests named below say whether
// the behaviour we need holds without them.
//
// 1. While the database is unreachable, a query waits in the pool's queue for a connection the
//    pool cannot make, until the pool's circuit breaker opens after about a minute, and after
//    an outage the pool reconnects only when its back-off (tens of seconds by then) allows
//    (https://github.com/vapor/postgres-nio/issues/489, and #602 for a database that does not
//    exist). We want a 503 at once and service again within a second: `FailFastPool`.
//    Test: `DatabaseOutageTests` (down within 2 s, back within 2 s).
// 2. A statement on a connection the server is dropping can wait forever, even after the
//    connection closed. `PoolGeneration` fails whatever still runs on a lost pool.
//    Test: `DatabaseFailureTests.operationsOnALostPoolFailAtOnceAndCancellationReachesThem`.
// 3. A pool-level query keeps its connection until its rows are read, and never gives it back
//    when the statement fails before reading starts (a constraint violation of a
//    data-modifying statement can: `PSQLRowStream.asyncSequence(onFinish:)`); each failure
//    leaked a connection until the pool ran dry. No upstream issue was found for it when this
//    was written. `Rows`: every statement's rows are read in full while its connection is
//    leased. Test: `DatabaseFailureTests.failingStatementsDoNotKeepTheirConnections`.

/// A connection pool that fails at once while the database is down, replaced by a fresh one at
/// each change of verdict (going down fails whatever was queued in the old pool; coming back,
/// the fresh pool connects at once). A connection of its own asks `SELECT 1` every half second:
/// two failed checks in a row (an error, or no answer within a second) and the database is
/// down, one answered check and it is up.
final class FailFastPool: Sendable {
    static let interval = Duration.milliseconds(500)
    static let timeout = Duration.seconds(1)
    static let failuresForDown = 2

    private struct State {
        var pool: PoolGeneration
        var running: Task<Void, Never>?
        var reachable = true
    }

    private let state: Mutex<State>
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

    /// Runs the pool and the checks until cancelled or shut down gracefully, then closes the pool.
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

    private func watch() async {
        var probe: PostgresConnection?
        var probes = 0
        var failures = 0
        while !Task.isCancelled {
            do {
                // A probe the server closed (a restart, or someone ending its backend) is
                // replaced at once; whether that works is the verdict.
                if probe?.isClosed == true { probe = nil }
                if probe == nil {
                    probes += 1
                    probe = try await PostgresConnection.connect(configuration: settings.probeConfiguration(), id: probes, logger: logger)
                }
                try await Self.selectOne(on: probe!, within: Self.timeout, logger: logger)
                failures = 0
            } catch {
                if Task.isCancelled { break }
                try? await probe?.close()
                probe = nil
                failures += 1
            }
            let reachable = failures < Self.failuresForDown
            if reachable != isReachable { replacePool(reachable: reachable) }
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
    /// closed (2. above), so it is left to finish on its own rather than awaited.
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
/// rather than waiting on it (2. above).
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
        let outcome = FirstOutcome<Result>()
        let work = WorkTask()
        let client = self.client
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                outcome.waiting(continuation)
                guard let id = register({ outcome.resume(with: .failure(StorageError.unavailable)) }) else {
                    outcome.resume(with: .failure(StorageError.unavailable))
                    return
                }
                work.start(
                    Task {
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
        for waiter in waiting { waiter() }
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

/// The rows of a statement, read in full while its connection was leased (3. above). Reads
/// like a `PostgresRowSequence`: `decode((A, B).self)`, `value(_:)`, `values(_:)`.
public struct Rows: AsyncSequence, Sendable {
    public typealias Element = PostgresRow
    let rows: [PostgresRow]

    init(_ rows: [PostgresRow]) {
        self.rows = rows
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: IndexingIterator<[PostgresRow]>
        public mutating func next() async throws -> PostgresRow? { base.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: rows.makeIterator()) }
}
