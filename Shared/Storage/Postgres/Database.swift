import Logging
import PostgresNIO
import ServiceLifecycle

/// A service's connection pool, confined to its own schema. Run it as a lifecycle service.
public struct Database: Sendable, Service {
    public let client: PostgresClient
    public let schema: String
    let logger: Logger

    public init(_ configuration: DatabaseConfiguration, logger: Logger) {
        self.client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger)
        self.schema = configuration.schema
        self.logger = logger
    }

    public func run() async {
        await client.run()
        logger.info("database pool closed")
    }

    /// Runs one statement; database errors come back classified (see `StorageError`).
    @discardableResult
    public func query(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> PostgresRowSequence {
        do {
            return try await client.query(query, logger: logger, file: file, line: line)
        } catch {
            throw StorageError.classify(error)
        }
    }

    /// Runs one statement and reads its rows with `read`. Errors that arrive with the rows —
    /// a constraint violation of a data-modifying statement can — come back classified too,
    /// which they do not when the rows of `query(_:)` are read later.
    public func query<Result>(
        _ query: PostgresQuery, file: String = #fileID, line: Int = #line, read: (PostgresRowSequence) async throws -> Result
    ) async throws -> Result {
        do {
            return try await read(client.query(query, logger: logger, file: file, line: line))
        } catch {
            throw StorageError.classify(error)
        }
    }

    /// Runs a prepared statement (parsed and planned once per pooled connection, for hot
    /// paths) and returns its rows; errors come back classified.
    public func execute<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> [Statement.Row] {
        do {
            var rows: [Statement.Row] = []
            for try await row in try await client.execute(statement, logger: logger) { rows.append(row) }
            return rows
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
    public func transaction<Result: Sendable>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        var attempt = 1
        while true {
            let afterCommit = AfterCommit()
            let result: Result
            do {
                result = try await AfterCommit.$current.withValue(afterCommit, operation: {
                    try await client.withTransaction(logger: logger, isolation: isolation) { connection in try await body(connection) }
                }, isolation: isolation)
            } catch {
                let classified = StorageError.classify(error)
                if classified as? StorageError == .transientConflict, attempt < 3 {
                    attempt += 1
                    logger.info("transaction conflicted with another, running it again", metadata: ["attempt": "\(attempt)"])
                    continue
                }
                throw classified
            }
            await afterCommit.run()
            return result
        }
    }

    /// `SELECT 1` within `timeout`: the readiness probe.
    public func ping(timeout: Duration = .seconds(1)) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await client.query("SELECT 1", logger: logger)) != nil }
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
