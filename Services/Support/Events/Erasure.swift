import Contracts
import EventBus
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `customer.profile.anonymized` (GDPR): what the customer wrote is redacted — each
/// ticket's subject and their messages become "[removed]", rating comments go — while the
/// tickets, staff messages, timestamps and ratings stay for the shop's records. The tickets
/// are locked first, so a message or rating being written meanwhile is either redacted here or
/// waits until this commits. Each redacted ticket publishes its new subject, so profiles'
/// portal forgets the old one too.
///
/// An erasure the customer asked for (`customer.erasure.requested`, CONTRACT §13) also closes
/// their tickets that are not closed yet, with a SYSTEM message: nobody can answer them now.
/// The two events may arrive in either order; either way the tickets end closed and redacted.
enum Erasure {
    static let removed = "[removed]"
    static let closedOnErasure = "This ticket was closed because the customer asked for their data to be erased."

    static func register(on handlers: inout EventHandlers, tickets: TicketStore) {
        let logger = tickets.logger
        handlers.on(Topics.profileAnonymized) { event, connection in
            let userId = event.payload.userId
            let locked = try await connection.query(
                "SELECT id FROM tickets WHERE user_id = \(userId) ORDER BY id FOR UPDATE", logger: logger
            ).values(UUID.self)
            guard !locked.isEmpty else { return }
            try await connection.query(
                """
                UPDATE ticket_messages SET message = \(removed)
                WHERE sender_type = 'CUSTOMER' AND ticket_id IN (SELECT id FROM tickets WHERE user_id = \(userId))
                """, logger: logger)
            try await connection.query(
                """
                UPDATE ticket_ratings SET comment = NULL WHERE ticket_id IN (SELECT id FROM tickets WHERE user_id = \(userId))
                """, logger: logger)
            for id in locked {
                guard let ticket = try await tickets.lock(id, on: connection), ticket.subject != removed else { continue }
                var next = ticket
                next.subject = removed
                try await tickets.save(next, after: ticket, correlationId: event.id.lowercasedString, on: connection)
            }
            // The list shows rating comments too, which may have been all that changed.
            await tickets.dropCachedLists(of: userId)
        }
        handlers.on(Topics.erasureRequested) { event, connection in
            let userId = event.payload.userId
            let open = try await connection.query(
                "SELECT id FROM tickets WHERE user_id = \(userId) AND status <> 'CLOSED' ORDER BY id FOR UPDATE", logger: logger
            ).values(UUID.self)
            for id in open {
                guard let ticket = try await tickets.lock(id, on: connection), ticket.state.status != .closed else { continue }
                try await tickets.close(ticket, saying: closedOnErasure, correlationId: event.id.lowercasedString, on: connection)
            }
        }
    }
}
