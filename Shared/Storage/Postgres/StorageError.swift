import PostgresNIO
import _ConnectionPoolModule

/// Database failures that callers act on. Everything else stays an opaque error
/// (and becomes a generic 500): SQL and driver text never reach a client.
public enum StorageError: Error, Sendable, Equatable {
    /// A unique constraint refused the write (SQLSTATE 23505).
    case uniqueViolation(constraint: String)
    /// A CHECK constraint refused the write (SQLSTATE 23514).
    case checkViolation(constraint: String)
    /// A foreign key refused the write (SQLSTATE 23503).
    case foreignKeyViolation(constraint: String)
    /// The database could not be reached.
    case unavailable
    /// A deadlock or serialization failure (SQLSTATE 40P01, 40001): the transaction was
    /// rolled back and may simply be run again.
    case transientConflict

    /// Unwraps transaction errors and classifies Postgres errors; returns `error`
    /// unchanged when it is none of the above.
    public static func classify(_ error: any Error) -> any Error {
        if let transaction = error as? PostgresTransactionError {
            // The closure's error is the cause; a commit error (deferred constraints) next.
            if let cause = transaction.closureError ?? transaction.commitError ?? transaction.beginError {
                return classify(cause)
            }
            return error
        }
        // The pool gave up connecting (its circuit breaker), or was closed under the request.
        if error is ConnectionPoolError { return StorageError.unavailable }
        guard let psql = error as? PSQLError else { return error }
        if let state = psql.serverInfo?[.sqlState] {
            let constraint = psql.serverInfo?[.constraintName] ?? ""
            switch state {
            case "23505": return StorageError.uniqueViolation(constraint: constraint)
            case "23514": return StorageError.checkViolation(constraint: constraint)
            case "23503": return StorageError.foreignKeyViolation(constraint: constraint)
            case "40P01", "40001": return StorageError.transientConflict
            // The server is shutting down or starting (57P01-57P03), or the connection broke
            // (class 08): a connection the pool held when the database went away answers so.
            case _ where state.hasPrefix("57P") || state.hasPrefix("08"): return StorageError.unavailable
            default: return error
            }
        }
        switch psql.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed:
            return StorageError.unavailable
        default:
            return error
        }
    }
}
