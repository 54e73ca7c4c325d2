/// The roles the auth-service puts in a token's `role` claim.
public enum Role: String, Sendable, Codable, CaseIterable {
    case customer
    case agent
    case admin

    /// Support staff: agents and admins.
    public var isStaff: Bool { self != .customer }
}
