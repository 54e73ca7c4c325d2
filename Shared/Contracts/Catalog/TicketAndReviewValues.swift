/// The values a ticket's and a review's fields take, as the contract and the events name them:
/// support writes them, profiles' portal and engagement's projections read them back.
public enum TicketCategory: String, CaseIterable, Codable, Sendable {
    case order = "ORDER"
    case delivery = "DELIVERY"
    case product = "PRODUCT"
    case appointment = "APPOINTMENT"
    case payment = "PAYMENT"
    case refund = "REFUND"
    case general = "GENERAL"
    case other = "OTHER"
}

public enum TicketPriority: String, CaseIterable, Codable, Sendable {
    case low = "LOW"
    case medium = "MEDIUM"
    case high = "HIGH"
    case urgent = "URGENT"
}

public enum TicketStatus: String, CaseIterable, Codable, Sendable {
    case open = "OPEN"
    case inProgress = "IN_PROGRESS"
    case waitingOnCustomer = "WAITING_ON_CUSTOMER"
    case resolved = "RESOLVED"
    case closed = "CLOSED"

    /// Waiting for the team or the customer: what "open tickets" counts.
    public var isOpen: Bool { self != .resolved && self != .closed }
}

public enum ReviewStatus: String, CaseIterable, Codable, Sendable {
    case pending = "PENDING"
    case approved = "APPROVED"
    case rejected = "REJECTED"
}
