/// Why a Redis command did not produce a reply. Callers treat all of these the same
/// way: Redis is an optimisation, so they fall back (Postgres, in-process limiter).
public enum RedisError: Error, Sendable, Equatable {
    /// Not connected, and not retrying yet (back-off after a failure).
    case unavailable
    case timeout
    case connectionClosed
    case protocolError(String)
    /// Redis answered with an error reply.
    case server(String)
}
