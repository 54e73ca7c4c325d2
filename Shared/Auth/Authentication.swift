/// What the authenticator learned about a request's token.
///
/// Tokens are verified once, before rate limiting (so limits key on a verified user id,
/// never on a claim an attacker chose), but nothing is refused until a route asks:
/// public routes ignore the token entirely, and unknown routes answer 404 without one.
public enum Authentication: Sendable, Equatable {
    case anonymous
    case authenticated(Principal)
    case rejected(String)

    public var principal: Principal? {
        if case .authenticated(let principal) = self { return principal }
        return nil
    }

    /// Any valid token.
    public func customer() throws(AuthFailure) -> Principal {
        switch self {
        case .authenticated(let principal): return principal
        case .anonymous: throw .unauthenticated("Authentication required")
        case .rejected(let reason): throw .unauthenticated(reason)
        }
    }

    /// `agent` or `admin`.
    public func staff() throws(AuthFailure) -> Principal {
        let principal = try customer()
        guard principal.role.isStaff else { throw .forbidden("Staff access required") }
        return principal
    }

    /// `admin` only.
    public func admin() throws(AuthFailure) -> Principal {
        let principal = try customer()
        guard principal.role == .admin else { throw .forbidden("Admin access required") }
        return principal
    }
}
