import Logging
import PostgresNIO

extension DatabaseConfiguration {
    /// The first connection a service makes, before it migrates or serves. Throws
    /// `DatabaseRefusal` for what waiting will not change (a wrong password, no such database, a
    /// schema the role may not use) and any other error (the server unreachable, starting up) as
    /// it is, for the caller to retry. Then it checks the schema in PostgreSQL's own words:
    /// before `migrating`, that the role may create in it (a table made and rolled back; a schema
    /// still to be created is left to the migrations); otherwise, that its migration table is there.
    public func preflight(migrating: Bool, logger: Logger) async throws {
        let connection: PostgresConnection
        do {
            var configuration = try probeConfiguration()
            configuration.options.additionalStartupParameters = [("search_path", schema)]
            connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        } catch {
            throw DatabaseRefusal(error) ?? error
        }
        do {
            if migrating {
                let found = try await connection.query("SELECT 1 FROM pg_namespace WHERE nspname = \(schema)", logger: logger).collect()
                if !found.isEmpty {
                    _ = try await connection.query("BEGIN", logger: logger)
                    _ = try await connection.query(PostgresQuery(unsafeSQL: "CREATE TABLE \"\(schema)\".preflight (x int)"), logger: logger)
                    _ = try await connection.query("ROLLBACK", logger: logger)
                }
            } else {
                _ = try await connection.query("SELECT count(*) FROM schema_migrations", logger: logger).collect()
            }
            try await connection.close()
        } catch {
            try? await connection.close()
            throw DatabaseRefusal(error, inSchema: true) ?? error
        }
    }
}

/// PostgreSQL's refusal, in its own words (SQLSTATE and message), of something waiting will not
/// change: authentication, a missing database or schema, missing rights.
public struct DatabaseRefusal: Error, Sendable, CustomStringConvertible {
    public let sqlState: String
    public let message: String
    /// Refused once connected, by the schema's check (not by the log-in).
    public let inSchema: Bool

    /// nil for an error without an SQLSTATE (a refused connection, a timeout) or with one that
    /// passes (class 08, a connection failure; 53, too many connections; 57, starting or stopping).
    public init?(_ error: any Error, inSchema: Bool = false) {
        guard let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState],
            !["08", "53", "57"].contains(String(state.prefix(2)))
        else { return nil }
        self.sqlState = state
        self.message = psql.serverInfo?[.message] ?? ""
        self.inSchema = inSchema
    }

    public var description: String { "\(sqlState) \(message)" }

    /// An error that is not a refusal, in a few words: what a driver error wraps (`connection
    /// refused`), not the driver's generic description.
    public static func describe(_ error: any Error) -> String {
        guard let psql = error as? PSQLError else { return "\(error)" }
        if let underlying = psql.underlying { return "\(underlying)" }
        if let state = psql.serverInfo?[.sqlState] { return "\(state) \(psql.serverInfo?[.message] ?? "")" }
        return "\(psql.code)"
    }
}
