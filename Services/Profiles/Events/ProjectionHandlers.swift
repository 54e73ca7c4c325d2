import Foundation
import HTTPKit

/// The read models profiles keeps from other contexts' events (ARCHITECTURE §5). Every
/// write is an upsert guarded by the event time, so events may arrive in any order and
/// twice: the newest state per key wins. The inbox already skips exact redeliveries.
enum ProjectionHandlers {
    static func register(on handlers: inout EventHandlers, runtime: Runtime) {
        let logger = runtime.logger

        // Every loyalty write, wishlist change and ticket change lands here: one statement a run.
        handlers.onBatch(Topics.loyaltyAccountUpdated) { events, connection in
            let newest = events.newestPerKey { UserID($0.payload.userId) }
            try await connection.query("""
                INSERT INTO loyalty_summaries (user_id, points, lifetime_points, tier, event_at)
                SELECT * FROM unnest(\(newest.map(\.payload.userId))::text[], \(newest.map(\.payload.points))::int8[],
                    \(newest.map(\.payload.lifetimePoints))::int8[], \(newest.map(\.payload.tier))::text[],
                    \(newest.map(\.occurredAt))::timestamptz[])
                ON CONFLICT (user_id) DO UPDATE SET points = EXCLUDED.points, lifetime_points = EXCLUDED.lifetime_points,
                    tier = EXCLUDED.tier, event_at = EXCLUDED.event_at
                WHERE loyalty_summaries.event_at <= EXCLUDED.event_at
                """, logger: logger)
        }

        handlers.onBatch(Topics.wishlistUpdated) { events, connection in
            let newest = events.newestPerKey { UserID($0.payload.userId) }
            try await connection.query("""
                INSERT INTO wishlist_summaries (user_id, item_count, event_at)
                SELECT * FROM unnest(\(newest.map(\.payload.userId))::text[], \(newest.map(\.payload.itemCount))::int8[],
                    \(newest.map(\.occurredAt))::timestamptz[])
                ON CONFLICT (user_id) DO UPDATE SET item_count = EXCLUDED.item_count, event_at = EXCLUDED.event_at
                WHERE wishlist_summaries.event_at <= EXCLUDED.event_at
                """, logger: logger)
        }

        handlers.onBatch(Topics.supportTicketCreated) { events, connection in
            try await upsertTickets(events.newestPerKey { $0.payload.ticketId }.map(TicketRow.init), connection, logger)
        }

        handlers.onBatch(Topics.supportTicketUpdated) { events, connection in
            try await upsertTickets(events.newestPerKey { $0.payload.ticketId }.map(TicketRow.init), connection, logger)
        }

        handlers.on(Topics.orderPaymentSucceeded) { event, connection in
            let o = event.payload
            try await connection.query("""
                INSERT INTO portal_orders (order_id, user_id, order_ref, total_amount, currency, item_count, paid_at)
                VALUES (\(o.orderId), \(o.userId), \(o.orderRef), \(NSDecimalNumber(decimal: o.totalAmount).stringValue)::numeric,
                    \(o.currency), \(o.items.reduce(0) { $0 + $1.quantity }), \(o.paidAt))
                ON CONFLICT (order_id) DO NOTHING
                """, logger: logger)
        }

        handlers.on(Topics.appointmentBookingCreated) { event, connection in
            let a = event.payload
            try await connection.query("""
                INSERT INTO portal_appointments (appointment_id, user_id, appointment_type, showroom_id, scheduled_at, booked_at)
                VALUES (\(a.appointmentId), \(a.userId), \(a.appointmentType.rawValue), \(a.showroomId), \(a.scheduledAt), \(a.bookedAt))
                ON CONFLICT (appointment_id) DO NOTHING
                """, logger: logger)
        }

        handlers.on(Topics.brochureRequestCreated) { event, connection in
            let b = event.payload
            try await connection.query("""
                INSERT INTO portal_brochure_requests (request_id, user_id, brochure_type, requested_at)
                VALUES (\(b.requestId), \(b.userId), \(b.brochureType), \(b.requestedAt))
                ON CONFLICT (request_id) DO NOTHING
                """, logger: logger)
        }
    }

    /// A row of `support_tickets`: a ticket as its newest event shows it.
    private struct TicketRow {
        let id: UUID, userId: String, ref: String, subject: String, status: String, priority: String
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
    private static func upsertTickets(_ rows: [TicketRow], _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO support_tickets (ticket_id, user_id, ticket_ref, subject, status, priority, updated_at, event_at)
            SELECT * FROM unnest(\(rows.map(\.id))::uuid[], \(rows.map(\.userId))::text[], \(rows.map(\.ref))::text[],
                \(rows.map(\.subject))::text[], \(rows.map(\.status))::text[], \(rows.map(\.priority))::text[],
                \(rows.map(\.updatedAt))::timestamptz[], \(rows.map(\.eventAt))::timestamptz[])
            ON CONFLICT (ticket_id) DO UPDATE SET subject = EXCLUDED.subject, status = EXCLUDED.status,
                priority = EXCLUDED.priority, updated_at = EXCLUDED.updated_at, event_at = EXCLUDED.event_at
            WHERE support_tickets.event_at <= EXCLUDED.event_at
            """, logger: logger)
    }
}
