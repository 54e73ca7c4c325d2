import HTTPKit
import PostgresNIO
import Storage
import Synchronization
import TestSupport
import Testing

@Suite(.needsTestServers) struct MigrationRunnerTests {
    // Neither migration may run twice: the table would already exist, the row would double.
    let migrations = [
        Migration(1, "create things", "CREATE TABLE things (id int PRIMARY KEY, name text NOT NULL)"),
        Migration(2, "seed", "INSERT INTO things VALUES (1, 'first')"),
    ]

    @Test func twoRunnersStartingTogetherApplyEachMigrationOnce() async throws {
        let schema = TestEnvironment.uniqueSchema("migrate")
        let migrations = self.migrations
        let applied = try await withDatabase(schema: schema) { first in
            try await withDatabase(schema: schema) { second in
                async let a = MigrationRunner(database: first, migrations: migrations, logger: TestEnvironment.quietLogger).run()
                async let b = MigrationRunner(database: second, migrations: migrations, logger: TestEnvironment.quietLogger).run()
                return try await (a + b).sorted()
            }
        }
        #expect(applied == [1, 2])
        try await withDatabase(schema: schema) { database in
            #expect(try await database.scalar("SELECT count(*)::int FROM things") == 1)
            #expect(try await database.scalar("SELECT count(*)::int FROM schema_migrations") == 2)
            // Running again later is a no-op.
            let again = try await MigrationRunner(database: database, migrations: migrations, logger: TestEnvironment.quietLogger).run()
            #expect(again.isEmpty)
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        let schema = TestEnvironment.uniqueSchema("migrate")
        let broken = migrations + [Migration(3, "broken", "CREATE TABLE half (id int)", "SELECT no_such_column FROM things")]
        try await withDatabase(schema: schema) { (database: Database) async throws -> Void in
            await #expect(throws: (any Error).self) {
                try await MigrationRunner(database: database, migrations: broken, logger: TestEnvironment.quietLogger).run()
            }
            #expect(try await database.scalar("SELECT max(version)::int FROM schema_migrations") == 2)
            #expect(try await database.scalar("SELECT count(*)::int FROM pg_tables WHERE schemaname = \(schema) AND tablename = 'half'") == 0)
        }
    }
}

@Suite(.needsTestServers) struct TransactionTests {
    @Test func aUniqueViolationInsideATransactionIsClassifiedAndRollsBackEverything() async throws {
        let schema = TestEnvironment.uniqueSchema("tx")
        try await withDatabase(schema: schema) { (database: Database) async throws -> Void in
            _ = try await MigrationRunner(
                database: database,
                migrations: [
                    Migration(1, "items", "CREATE TABLE items (id int PRIMARY KEY, note text)")
                ], logger: TestEnvironment.quietLogger
            ).run()

            await #expect(throws: StorageError.uniqueViolation(constraint: "items_pkey")) {
                try await database.transaction { connection in
                    try await connection.query("INSERT INTO items VALUES (1, 'a')", logger: TestEnvironment.quietLogger)
                    try await connection.query("INSERT INTO items VALUES (2, 'b')", logger: TestEnvironment.quietLogger)
                    try await connection.query("INSERT INTO items VALUES (1, 'again')", logger: TestEnvironment.quietLogger)
                }
            }
            #expect(try await database.scalar("SELECT count(*)::int FROM items") == 0)
            #expect(AppError.mapping(StorageError.uniqueViolation(constraint: "items_pkey"))?.status == .conflict)
        }
    }

    /// Work scheduled inside a transaction sees the committed rows; a rollback drops it;
    /// outside a transaction it runs at once.
    @Test func afterCommitWorkRunsOnlyOnceCommitted() async throws {
        let schema = TestEnvironment.uniqueSchema("tx")
        try await withDatabase(schema: schema) { (database: Database) async throws -> Void in
            _ = try await MigrationRunner(
                database: database,
                migrations: [
                    Migration(1, "items", "CREATE TABLE items (id int PRIMARY KEY)")
                ], logger: TestEnvironment.quietLogger
            ).run()
            let seen = Mutex<[Int]>([])
            try await database.transaction { connection in
                try await connection.query("INSERT INTO items VALUES (1)", logger: TestEnvironment.quietLogger)
                await AfterCommit.schedule {
                    let count = (try? await database.scalar("SELECT count(*)::int FROM items")) ?? -1
                    seen.withLock { $0.append(count) }
                }
                #expect(seen.withLock { $0 }.isEmpty)
            }
            #expect(seen.withLock { $0 } == [1])
            await #expect(throws: (any Error).self) {
                try await database.transaction { connection in
                    await AfterCommit.schedule { seen.withLock { $0.append(99) } }
                    try await connection.query("INSERT INTO items VALUES (1)", logger: TestEnvironment.quietLogger)
                }
            }
            await AfterCommit.schedule { seen.withLock { $0.append(2) } }
            #expect(seen.withLock { $0 } == [1, 2])
        }
    }

    /// Two transactions that lock two rows in opposite orders deadlock; Postgres aborts one,
    /// and `Database.transaction` runs it again instead of failing the caller.
    @Test func aDeadlockedTransactionRunsAgain() async throws {
        let schema = TestEnvironment.uniqueSchema("tx")
        try await withDatabase(schema: schema, maxConnections: 4) { (database: Database) async throws -> Void in
            _ = try await MigrationRunner(
                database: database,
                migrations: [
                    Migration(
                        1, "counters", "CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)", "INSERT INTO counters VALUES (1, 0), (2, 0)")
                ], logger: TestEnvironment.quietLogger
            ).run()
            let runs = Counter()
            let firstLocks = Counter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (first, second) in [(1, 2), (2, 1)] {
                    group.addTask {
                        try await database.transaction { connection in
                            _ = runs.next()
                            let logger = TestEnvironment.quietLogger
                            try await connection.query("UPDATE counters SET n = n + 1 WHERE id = \(first)", logger: logger)
                            // Each holds its first row before either asks for its second, however
                            // late the other got a connection: the deadlock is certain.
                            _ = firstLocks.next()
                            let deadline = ContinuousClock.now + .seconds(20)
                            while firstLocks.current < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
                            try await connection.query("UPDATE counters SET n = n + 1 WHERE id = \(second)", logger: logger)
                        }
                    }
                }
                try await group.waitForAll()
            }
            // Two transactions, at least one of them run again (a rerun may meet the other once
            // more, timing decides); each applied exactly once.
            #expect(runs.next() >= 4)
            #expect(try await database.scalar("SELECT sum(n)::int FROM counters") == 4)
        }
    }
}
