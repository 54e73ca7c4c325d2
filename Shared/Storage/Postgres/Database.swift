import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// A service's connection pool, confined to its own schema. Run it as a lifecycle service.
/// While the database is unreachable, every call fails at once with
/// `StorageError.unavailable` (`FailFastPool`, a postgres-nio workaround).
public struct Database: Sendable, Service {
    public let schema: String
    let logger: Logger
    private let keeper: FailFastPool
    /// `db_pool_connections{state="in_use"}`: the leases this process holds or waits for now.
    private let inUse = Meter(label: "db_pool_connections", dimensions: [("state", "in_use")])

    public init(_ configuration: DatabaseConfiguration, logger: Logger) {
        self.keeper = FailFastPool(configuration, logger: logger)
        self.schema = configuration.schema
        self.logger = logger
        Meter(label: "db_pool_connections", dimensions: [("state", "max")]).set(configuration.maxConnections)
    }

    public func run() async {
        await keeper.run()
        logger.info("database pool closed")
    }

    /// The pool, unless the database is known to be down.
    private var pool: PoolGeneration {
        get throws(StorageError) {
            guard let pool = keeper.available else { throw .unavailable }
            return pool
        }
    }

    /// Whether the last check reached the database.
    public var isReachable: Bool { keeper.isReachable }

    /// Runs `body` on a pooled connection of its own for as long as it takes (a `LISTEN`, a
    /// session advisory lock held for a job's run); errors come back classified. Unlike the
    /// calls below it is not failed early when the database is lost: its body ends then anyway.
    public func withConnection<Result: Sendable>(
        isolation: isolated (any Actor)? = #isolation, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        inUse.increment()
        defer { inUse.decrement() }
        do {
            return try await pool.client.withConnection(isolation: isolation) { try await body($0) }
        } catch {
            throw StorageError.classify(error)
        }
    }

    /// Runs one statement and reads its rows (see `Rows` for why at once); database errors come
    /// back classified (see `StorageError`). Like every call below, it fails at once with
    /// `StorageError.unavailable` if the database is lost meanwhile (`PoolGeneration`).
    @discardableResult
    public func query(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> Rows {
        let logger = self.logger
        return try await Spans.client("db.query", system: "postgresql", statement: query.sql) {
            try await leased { Rows(try await $0.query(query, logger: logger, file: file, line: line).collect()) }
        }
    }

    /// Runs one statement and reads its rows with `read`, on a connection leased for exactly
    /// that long. Errors that arrive with the rows (a constraint violation of a data-modifying
    /// statement can) come back classified too.
    public func query<Result: Sendable>(
        _ query: PostgresQuery, file: String = #fileID, line: Int = #line, read: @escaping @Sendable (PostgresRowSequence) async throws -> Result
    ) async throws -> Result {
        let logger = self.logger
        return try await Spans.client("db.query", system: "postgresql", statement: query.sql) {
            try await leased { try await read($0.query(query, logger: logger, file: file, line: line)) }
        }
    }

    /// Runs a prepared statement (parsed and planned once per pooled connection, for hot
    /// paths) and returns its rows; errors come back classified.
    public func execute<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> [Statement.Row] where Statement.Row: Sendable {
        let logger = self.logger
        return try await Spans.client("db.query", system: "postgresql", statement: Statement.sql) {
            try await leased { connection in
                var rows: [Statement.Row] = []
                for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
                return rows
            }
        }
    }

    /// `body` on a connection of the current pool, failed at once if the pool is lost; errors
    /// come back classified.
    private func leased<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        inUse.increment()
        defer { inUse.decrement() }
        do {
            return try await pool.run { client in try await client.withConnection { try await body($0) } }
        } catch {
            throw StorageError.classify(error)
        }
    }

    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws;
    /// what `body` scheduled with `AfterCommit` runs after the commit. A deadlock or
    /// serialization failure runs the whole transaction again (up to 3 times), so `body` must
    /// not have effects outside the database other than through `AfterCommit`. Errors come
    /// back classified, so a unique violation inside the transaction is a
    /// `StorageError.uniqueViolation`, not a wrapped transaction error.
    ///
    /// `body` runs in a task of its own (so that a lost database fails the call at once, see
    /// `PoolGeneration`); it is called by one task at a time, and must not touch the caller's
    /// actor state.
    public func transaction<Result: Sendable>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: @escaping (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        // One task at a time calls it: this one's, while the caller waits for it.
        nonisolated(unsafe) let body = body
        let logger = self.logger
        inUse.increment()
        defer { inUse.decrement() }
        // One span for the transaction, retries included: the statements inside run on the
        // connection directly (postgres-nio has no spans of its own).
        return try await Spans.client("db.transaction", system: "postgresql", statement: "BEGIN … COMMIT", isolation: isolation) {
            var attempt = 1
            while true {
                let afterCommit = AfterCommit()
                let result: Result
                do {
                    let pool = try self.pool
                    result = try await AfterCommit.$current.withValue(
                        afterCommit,
                        operation: {
                            try await pool.run { client in
                                try await client.withTransaction(logger: logger) { connection in try await body(connection) }
                            }
                        }, isolation: isolation)
                } catch {
                    let classified = StorageError.classify(error)
                    if classified as? StorageError == .transientConflict, attempt < 3 {
                        attempt += 1
                        logger.info("transaction conflicted with another, running it again", metadata: ["attempt": .stringConvertible(attempt)])
                        continue
                    }
                    throw classified
                }
                await afterCommit.run()
                return result
            }
        }
    }

    /// `SELECT 1` within `timeout`: the readiness probe. False at once while the database
    /// is known to be down.
    public func ping(timeout: Duration = .seconds(1)) async -> Bool {
        guard let client = keeper.available?.client else { return false }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await client.withConnection { try await $0.query("SELECT 1", logger: logger).collect() }) != nil }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
