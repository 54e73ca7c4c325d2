import Contracts
import EventBus
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `support_tickets`, the portal's and the dashboard's view of the customer's tickets: from
/// `customer.support_ticket.created` and `.updated`, one statement a run, the newest event per
/// ticket winning whatever the arrival order.
enum SupportTickets {
    static func register(on handlers: inout EventHandlers, logger: Logger) {
        handlers.onBatch(Topics.supportTicketCreated) { events, connection in
            try await upsert(events.newestPerKey { $0.payload.ticketId }.map(Row.init), connection, logger)
        }
        handlers.onBatch(Topics.supportTicketUpdated) { events, connection in
            try await upsert(events.newestPerKey { $0.payload.ticketId }.map(Row.init), connection, logger)
        }
    }

    /// A ticket as its newest event shows it.
    private struct Row {
        let id: UUID, userId: String, ref: String, subject: String, status: TicketStatus, priority: TicketPriority
        let updatedAt: Date, eventAt: Date

        init(_ event: EventEnvelope<SupportTicketCreated>) {
            let t = event.payload
            (id, userId, ref, subject, status, priority) = (t.ticketId, t.userId, t.ticketRef, t.subject, t.status, t.priority)
            (updatedAt, eventAt) = (t.createdAt, event.occurredAt)
        }

        init(_ event: EventEnvelope<SupportTicketUpdated>) {
            let t = event.payload
            (id, userId, ref, subject, status, priority) = (t.ticketId, t.userId, t.ticketRef, t.subject, t.status, t.priority)
            (updatedAt, eventAt) = (t.updatedAt, event.occurredAt)
        }
    }

    /// One row per ticket (the caller keeps the newest event of each).
    private static func upsert(_ rows: [Row], _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO support_tickets (ticket_id, user_id, ticket_ref, subject, status, priority, updated_at, event_at)
            SELECT * FROM unnest(\(rows.map(\.id))::uuid[], \(rows.map(\.userId))::text[], \(rows.map(\.ref))::text[],
                \(rows.map(\.subject))::text[], \(rows.map(\.status.rawValue))::text[], \(rows.map(\.priority.rawValue))::text[],
                \(rows.map(\.updatedAt))::timestamptz[], \(rows.map(\.eventAt))::timestamptz[])
            ON CONFLICT (ticket_id) DO UPDATE SET subject = EXCLUDED.subject, status = EXCLUDED.status,
                priority = EXCLUDED.priority, updated_at = EXCLUDED.updated_at, event_at = EXCLUDED.event_at
            WHERE support_tickets.event_at <= EXCLUDED.event_at
            """, logger: logger)
    }
}
