import Contracts

/// The verified caller of a request.
public struct Principal: Sendable, Equatable {
    /// The token's `sub`: the auth-service's opaque user id (1–128 bytes, `UserID.isValid`).
    public let userId: String
    public let role: Role
    /// The token's optional `email` claim.
    public let email: String?

    public init(userId: String, role: Role, email: String? = nil) {
        self.userId = userId
        self.role = role
        self.email = email
    }

    /// Whether `userId` is this caller's own: compared byte for byte, as the database compares
    /// it, so a canonically equivalent but different id is someone else (CONTRACT §1).
    public func owns(_ userId: String) -> Bool {
        UserID(self.userId) == UserID(userId)
    }

    public static func == (lhs: Principal, rhs: Principal) -> Bool {
        lhs.owns(rhs.userId) && lhs.role == rhs.role && lhs.email == rhs.email
    }
}
