import Logging
import PostgresNIO

extension DatabaseConfiguration {
    /// The first connection a service makes, before it migrates or serves. Throws
    /// `DatabaseRefusal` for what waiting will not change (a wrong password, no such database, a
    /// schema the role may not use) and any other error (the server unreachable, starting up) as
    /// it is, for the caller to retry. Unless `migrating` (migrations report their own
    /// refusals), it also reads the schema's migration table, which needs the schema and the
    /// role's rights on it.
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
            if !migrating { _ = try await connection.query("SELECT count(*) FROM schema_migrations", logger: logger).collect() }
            try await connection.close()
        } catch {
            try? await connection.close()
            throw DatabaseRefusal(error) ?? error
        }
    }
}

/// PostgreSQL's refusal, in its own words (SQLSTATE and message), of something waiting will not
/// change: authentication, a missing database or schema, missing rights.
public struct DatabaseRefusal: Error, Sendable, CustomStringConvertible {
    public let sqlState: String
    public let message: String

    /// nil for an error without an SQLSTATE (a refused connection, a timeout) or with one that
    /// passes (class 08, a connection failure; 53, too many connections; 57, starting or stopping).
    public init?(_ error: any Error) {
        guard let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState],
            !["08", "53", "57"].contains(String(state.prefix(2)))
        else { return nil }
        self.sqlState = state
        self.message = psql.serverInfo?[.message] ?? ""
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
