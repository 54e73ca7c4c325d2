/// The verified caller of a request.
public struct Principal: Sendable, Equatable {
    /// The token's `sub`: the auth-service's opaque user id (1–128 characters).
    public let userId: String
    public let role: Role
    /// The token's optional `email` claim.
    public let email: String?

    public init(userId: String, role: Role, email: String? = nil) {
        self.userId = userId
        self.role = role
        self.email = email
    }
}
