import EventBus
import PostgresNIO
import TestSupport
import Testing

@testable import Storage

/// Failing statements give their connection back. postgres-nio 1.33 keeps a pool connection
/// leased forever when a statement fails before its rows are read (a unique violation of an
/// INSERT … RETURNING does), so a service whose requests hit constraint errors ran out of
/// connections and hung; `Database` leases and returns connections itself.
@Suite(.needsTestServers) struct DatabaseFailureTests {
    struct InsertThing: PostgresPreparedStatement {
        static let sql = "INSERT INTO things (id) VALUES ($1) RETURNING id"
        typealias Row = Int
        var id: Int
        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(id)
            return bindings
        }
        func decodeRow(_ row: PostgresRow) throws -> Int { try row.decode(Int.self) }
    }

    @Test func failingStatementsDoNotKeepTheirConnections() async throws {
        let schema = TestEnvironment.uniqueSchema("failures")
        try await withDatabase(schema: schema, maxConnections: 2) { database in
            _ = try await MigrationRunner(
                database: database,
                migrations: [
                    Migration(1, "things", "CREATE TABLE things (id int PRIMARY KEY)")
                ], logger: TestEnvironment.quietLogger
            ).run()
            #expect(try await database.execute(InsertThing(id: 1)) == [1])
            // Ten times the pool's size in failures, by every way a statement runs.
            for _ in 0..<10 {
                await #expect(throws: StorageError.uniqueViolation(constraint: "things_pkey")) {
                    try await database.execute(InsertThing(id: 1))
                }
                await #expect(throws: StorageError.uniqueViolation(constraint: "things_pkey")) {
                    try await database.query("INSERT INTO things (id) VALUES (1) RETURNING id")
                }
                await #expect(throws: StorageError.uniqueViolation(constraint: "things_pkey")) {
                    try await database.query("INSERT INTO things (id) VALUES (1) RETURNING id") { try await $0.values(Int.self) }
                }
            }
            // The pool still has both connections: without them this would wait forever, so it
            // races a 5 s timer.
            let count = try await withThrowingTaskGroup(of: Int?.self) { group in
                group.addTask { try await database.scalar("SELECT count(*)::int FROM things") }
                group.addTask {
                    try await Task.sleep(for: .seconds(5))
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            #expect(count == 1, "no connection within 5 s: failed statements kept theirs")
        }
    }
}

/// postgres-nio can leave a statement on a connection the server is dropping waiting forever;
/// when the database is lost, whatever still runs on the old pool must answer at once.
@Suite(.needsTestServers) struct LostPoolTests {
    @Test func operationsOnALostPoolFailAtOnceAndCancellationReachesThem() async throws {
        let configuration = try DatabaseConfiguration(url: TestEnvironment.databaseURL, schema: "public", maxConnections: 1)
        let pool = PoolGeneration(PostgresClient(configuration: configuration.clientConfiguration))
        let stuck = Task {
            try await pool.run { _ -> Int in
                // Stands for a statement whose answer never comes.
                try await Task.sleep(for: .seconds(3600))
                return 1
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        let lost = ContinuousClock.now
        pool.lose()
        await #expect(throws: StorageError.unavailable) { try await stuck.value }
        #expect(ContinuousClock.now - lost < .milliseconds(500))
        // A pool already lost takes nothing more.
        await #expect(throws: StorageError.unavailable) { try await pool.run { _ in 1 } }

        // The caller's cancellation reaches the operation, which ends.
        let other = PoolGeneration(PostgresClient(configuration: configuration.clientConfiguration))
        let ended = Latch()
        let cancelled = Task {
            try await other.run { _ -> Int in
                defer { ended.open() }
                try await Task.sleep(for: .seconds(3600))
                return 1
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        await ended.wait()
    }
}
