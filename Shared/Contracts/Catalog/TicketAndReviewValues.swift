/// The values a ticket's and a review's fields take, as the contract and the events name them:
/// support writes them, profiles' portal and engagement's projections read them back.
public enum TicketCategory: String, CaseIterable, Codable, Sendable {
    case order = "ORDER", delivery = "DELIVERY", product = "PRODUCT", appointment = "APPOINTMENT", payment = "PAYMENT"
    case refund = "REFUND", general = "GENERAL", other = "OTHER"
}

public enum TicketPriority: String, CaseIterable, Codable, Sendable {
    case low = "LOW", medium = "MEDIUM", high = "HIGH", urgent = "URGENT"
}

public enum TicketStatus: String, CaseIterable, Codable, Sendable {
    case open = "OPEN", inProgress = "IN_PROGRESS", waitingOnCustomer = "WAITING_ON_CUSTOMER", resolved = "RESOLVED", closed = "CLOSED"

    /// Waiting for the team or the customer: what "open tickets" counts.
    public var isOpen: Bool { self != .resolved && self != .closed }
}

public enum ReviewStatus: String, CaseIterable, Codable, Sendable {
    case pending = "PENDING", approved = "APPROVED", rejected = "REJECTED"
}
