import Foundation
import HTTPKit

/// `customer.profile.anonymized` (GDPR): what the customer wrote is redacted — each
/// ticket's subject and their messages become "[removed]", rating comments go — while the
/// tickets, staff messages, timestamps and ratings stay for the shop's records. Each redacted
/// ticket publishes its new subject, so profiles' portal forgets the old one too.
enum Erasure {
    static let removed = "[removed]"

    static func register(on handlers: inout EventHandlers, tickets: TicketStore) {
        let logger = tickets.logger
        handlers.on(Topics.profileAnonymized) { event, connection in
            let userId = event.payload.userId
            try await connection.query("""
                UPDATE ticket_messages SET message = \(removed)
                WHERE sender_type = 'CUSTOMER' AND ticket_id IN (SELECT id FROM tickets WHERE user_id = \(userId))
                """, logger: logger)
            try await connection.query("""
                UPDATE ticket_ratings SET comment = NULL WHERE ticket_id IN (SELECT id FROM tickets WHERE user_id = \(userId))
                """, logger: logger)
            let ids = try await connection.query(
                "SELECT id FROM tickets WHERE user_id = \(userId) AND subject <> \(removed) ORDER BY id", logger: logger).values(UUID.self)
            for id in ids {
                guard let locked = try await tickets.lock(id, on: connection) else { continue }
                var next = locked
                next.subject = removed
                try await tickets.save(next, after: locked, correlationId: event.id.uuidString, on: connection)
            }
        }
    }
}
