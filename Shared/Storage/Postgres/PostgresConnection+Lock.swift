import Logging
import PostgresNIO

extension PostgresConnection {
    /// Takes the transaction-scoped advisory lock named `name` (hashed), released at commit
    /// or rollback: serialises work on something that may not have a row to lock yet.
    public func lockUntilCommit(_ name: String, logger: Logger) async throws {
        try await query("SELECT pg_advisory_xact_lock(hashtext(\(name)))", logger: logger)
    }
}
