/// Why a request was refused by authentication or authorisation.
/// HTTPKit turns these into 401 UNAUTHORIZED and 403 FORBIDDEN.
public enum AuthFailure: Error, Sendable, Equatable {
    /// No token, or a token that is malformed, expired, wrongly signed or has bad claims.
    case unauthenticated(String)
    /// A valid token whose role may not use the route.
    case forbidden(String)
}
