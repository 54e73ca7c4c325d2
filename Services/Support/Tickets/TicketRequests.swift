import HTTPKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `POST /support/tickets`.
struct NewTicket: Sendable {
    let subject: String
    let message: String
    let category: Ticket.Category
    let priority: Ticket.Priority
    let orderId: String?

    static func read(_ body: JSONBody) throws(AppError) -> NewTicket {
        var body = body
        let ticket = NewTicket(
            subject: body.required("subject", .string(5...200)),
            message: body.required("message", .string(10...5000)),
            category: body.optional("category", .oneOf(Ticket.Category.self)) ?? .general,
            priority: body.optional("priority", .oneOf(Ticket.Priority.self)) ?? .medium,
            orderId: body.nullable("orderId", .string(1...128)).applied(to: nil))
        try body.finish()
        return ticket
    }
}

/// `PATCH /support/tickets/:id` (staff): any of status, priority and assignee.
struct TicketChanges: Sendable {
    let status: Ticket.Status?
    let priority: Ticket.Priority?
    let assignedTo: Patch<String>

    static func read(_ body: JSONBody) throws(AppError) -> TicketChanges {
        var body = body
        let changes = TicketChanges(
            status: body.optional("status", .oneOf(Ticket.Status.self)),
            priority: body.optional("priority", .oneOf(Ticket.Priority.self)),
            assignedTo: body.nullable("assignedTo", .string(1...128)))
        if body.sentFields.isDisjoint(with: ["status", "priority", "assignedTo"]) {
            body.fail("status", "or priority or assignedTo is required")
        }
        try body.finish()
        return changes
    }
}

/// `POST /support/tickets/:id/messages`.
struct NewMessage: Sendable {
    let message: String
    let isInternal: Bool

    static func read(_ body: JSONBody) throws(AppError) -> NewMessage {
        var body = body
        let message = NewMessage(
            message: body.required("message", .string(1...5000)),
            isInternal: body.optional("isInternal", .bool) ?? false)
        try body.finish()
        return message
    }
}

/// `POST /support/tickets/:id/rating`.
struct NewRating: Sendable {
    let rating: Int
    let comment: String?

    static func read(_ body: JSONBody) throws(AppError) -> NewRating {
        var body = body
        let rating = NewRating(
            rating: body.required("rating", .int(1...5)),
            comment: body.nullable("comment", .string(0...1000)).applied(to: nil))
        try body.finish()
        return NewRating(rating: rating.rating, comment: rating.comment?.isEmpty == true ? nil : rating.comment)
    }
}
