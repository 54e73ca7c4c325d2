import Logging
import PostgresNIO

/// One versioned schema change. The SQL is embedded in the binary and runs in the
/// service's schema (unqualified names resolve there).
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: [String]

    /// `sql` is a list of statements, run in order in one transaction.
    public init(_ version: Int, _ name: String, _ sql: String...) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// Applies a service's migrations in order, each once, recorded in `schema_migrations`.
///
/// Each migration runs in its own transaction that first takes a transaction-level
/// advisory lock on the schema and re-checks whether the version is recorded: two
/// replicas starting together apply every migration exactly once, and a failed
/// migration leaves nothing behind.
public struct MigrationRunner: Sendable {
    let database: Database
    let migrations: [Migration]
    let logger: Logger

    public init(database: Database, migrations: [Migration], logger: Logger) {
        precondition(
            migrations.map(\.version) == migrations.map(\.version).sorted() && Set(migrations.map(\.version)).count == migrations.count,
            "migration versions must be unique and ascending"
        )
        self.database = database
        self.migrations = migrations
        self.logger = logger
    }

    /// Returns the versions this run applied.
    @discardableResult
    public func run() async throws -> [Int] {
        try await prepareSchema()
        var applied: [Int] = []
        for migration in migrations {
            let didApply = try await database.transaction { connection in
                try await connection.lockUntilCommit(lockName, logger: logger)
                let rows = try await connection.query(
                    "SELECT 1 FROM schema_migrations WHERE version = \(migration.version)", logger: logger)
                for try await _ in rows { return false }
                for statement in migration.sql {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger)
                return true
            }
            if didApply {
                applied.append(migration.version)
                logger.info("applied migration", metadata: ["version": .stringConvertible(migration.version), "name": "\(migration.name)"])
            }
        }
        return applied
    }

    private var lockName: String { "\(database.schema).migrations" }

    /// Creates the schema (when the role may) and the bookkeeping table. Checking for the
    /// schema first matters: `CREATE SCHEMA IF NOT EXISTS` demands CREATE on the database
    /// even when the schema exists, and the stack's per-context roles do not have it.
    private func prepareSchema() async throws {
        try await database.transaction { connection in
            try await connection.lockUntilCommit(lockName, logger: logger)
            let exists = try await connection.query(
                "SELECT 1 FROM pg_namespace WHERE nspname = \(database.schema)", logger: logger)
            var found = false
            for try await _ in exists { found = true }
            if !found {
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \"\(database.schema)\""), logger: logger)
            }
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
        }
    }
}
