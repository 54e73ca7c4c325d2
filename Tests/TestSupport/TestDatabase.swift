import PostgresNIO
import Storage

/// Runs `body` with a pool on the test cluster (or the one at `url`), confined to `schema`, and
/// closes it after.
public func withDatabase<T: Sendable>(
    schema: String, url: String = TestEnvironment.databaseURL, maxConnections: Int = 4, _ body: @Sendable (Database) async throws -> T
) async throws -> T {
    let configuration = try DatabaseConfiguration(url: url, schema: schema, maxConnections: maxConnections)
    let database = Database(configuration, logger: TestEnvironment.quietLogger)
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            await database.run()
            return nil
        }
        defer { group.cancelAll() }
        return try await body(database)
    }
}

extension Database {
    /// The single integer a query returns (`SELECT count(*) …`).
    public func scalar(_ query: PostgresQuery) async throws -> Int {
        guard let value = try await self.query(query).value(Int.self) else { throw TestFailure("no row") }
        return value
    }
}
