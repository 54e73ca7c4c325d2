import Contracts
import HTTPKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A support ticket (CONTRACT §7), with `messages` on the single view.
struct Ticket: Codable, Sendable {
    typealias Category = TicketCategory
    typealias Priority = TicketPriority
    typealias Status = TicketStatus

    struct Rating: Codable, Sendable, Equatable {
        let rating: Int
        @Nullable var comment: String?
        let ratedAt: Date
    }

    @LowercaseID var id: UUID
    let ticketRef: String
    let userId: String
    let subject: String
    let category: Category
    let priority: Priority
    let status: Status
    @Nullable var assignedTo: String?
    @Nullable var orderId: String?
    @Nullable var firstResponseAt: Date?
    @Nullable var resolvedAt: Date?
    @Nullable var closedAt: Date?
    @Nullable var rating: Rating?
    let createdAt: Date
    let updatedAt: Date
    /// Oldest first; only on `GET /support/tickets/:id`.
    var messages: [Message]?
}

struct Message: Codable, Sendable {
    enum Sender: String, Codable, Sendable {
        case customer = "CUSTOMER"
        case agent = "AGENT"
        case system = "SYSTEM"
    }

    @LowercaseID var id: UUID
    @LowercaseID var ticketId: UUID
    let senderType: Sender
    let senderId: String
    let message: String
    let isInternal: Bool
    let createdAt: Date
}

/// Ticket references: "TKT-" and eight upper-case letters or digits.
enum TicketRef {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return "TKT-" + String((0..<8).map { _ in alphabet.randomElement(using: &generator)! })
    }
}

/// The part of a ticket its rules change: status and the stamps that go with it.
struct TicketState: Equatable, Sendable {
    var status: Ticket.Status
    var firstResponseAt: Date?
    var resolvedAt: Date?
    var closedAt: Date?

    /// A status set by staff: RESOLVED stamps `resolvedAt`, CLOSED stamps `closedAt`, and
    /// leaving RESOLVED (other than to CLOSED) clears `resolvedAt`. CLOSED is final.
    func changed(to status: Ticket.Status, at now: Date) throws(AppError) -> TicketState {
        guard self.status != .closed else { throw AppError.invalidState("The ticket is closed") }
        var next = self
        next.status = status
        switch status {
        case .resolved where self.status != .resolved: next.resolvedAt = now
        case .resolved, .closed: break
        default: next.resolvedAt = nil
        }
        if status == .closed { next.closedAt = now }
        return next
    }

    /// The effect of a message (CONTRACT §7): a staff public reply answers an OPEN ticket
    /// (IN_PROGRESS, and the first one stamps `firstResponseAt`); a customer's message brings
    /// a ticket waiting on them back to IN_PROGRESS and reopens a RESOLVED one. Internal notes
    /// change nothing. Nothing may be added to a CLOSED ticket.
    func afterMessage(fromStaff: Bool, isInternal: Bool, at now: Date) throws(AppError) -> TicketState {
        guard status != .closed else { throw AppError.invalidState("The ticket is closed") }
        var next = self
        if fromStaff {
            guard !isInternal else { return self }
            if next.firstResponseAt == nil { next.firstResponseAt = now }
            if status == .open { next.status = .inProgress }
        } else if status == .waitingOnCustomer {
            next.status = .inProgress
        } else if status == .resolved {
            next.status = .open
            next.resolvedAt = nil
        }
        return next
    }
}
