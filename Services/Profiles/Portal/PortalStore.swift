import HTTPKit
import PostgresNIO
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Portal SQL: pages of the customer's orders, appointments and brochure requests, and the
/// support summary, all from local projections.
struct PortalStore: Sendable {
    let database: Database

    func orders(_ userId: String, _ page: Pagination) async throws -> ([PortalOrder], Int) {
        let total = try await count("SELECT count(*)::int FROM portal_orders WHERE user_id = \(userId)")
        return (try await orderRows(userId, page), total)
    }

    /// A page of orders, newest first, without the total (the dashboard's recent orders).
    func orderRows(_ userId: String, _ page: Pagination) async throws -> [PortalOrder] {
        var orders: [PortalOrder] = []
        let rows = try await database.query(
            """
            SELECT order_id, order_ref, total_amount::text, currency, item_count, paid_at FROM portal_orders
            WHERE user_id = \(userId) ORDER BY paid_at DESC, order_id LIMIT \(page.limit) OFFSET \(page.offset)
            """)
        for try await (id, ref, amount, currency, items, paidAt) in rows.decode((String, String?, String, String, Int, Date).self) {
            orders.append(
                PortalOrder(
                    orderId: id, orderRef: ref, totalAmount: Decimal(string: amount) ?? 0, currency: currency, itemCount: items, paidAt: paidAt))
        }
        return orders
    }

    /// Newest first by scheduled time.
    func appointments(_ userId: String, _ page: Pagination) async throws -> ([PortalAppointment], Int) {
        let total = try await count("SELECT count(*)::int FROM portal_appointments WHERE user_id = \(userId)")
        return (
            try await appointmentRows(
                """
                SELECT appointment_id, appointment_type, scheduled_at, showroom_id, booked_at FROM portal_appointments
                WHERE user_id = \(userId) ORDER BY scheduled_at DESC, appointment_id LIMIT \(page.limit) OFFSET \(page.offset)
                """), total
        )
    }

    /// The soonest future appointments first (the dashboard's).
    func upcomingAppointments(_ userId: String, limit: Int) async throws -> [PortalAppointment] {
        try await appointmentRows(
            """
            SELECT appointment_id, appointment_type, scheduled_at, showroom_id, booked_at FROM portal_appointments
            WHERE user_id = \(userId) AND scheduled_at >= now() ORDER BY scheduled_at LIMIT \(limit)
            """)
    }

    private func appointmentRows(_ query: PostgresQuery) async throws -> [PortalAppointment] {
        var appointments: [PortalAppointment] = []
        for try await (id, type, scheduledAt, showroom, bookedAt) in try await database.query(query).decode(
            (String, String, Date, String?, Date).self)
        {
            appointments.append(
                PortalAppointment(
                    appointmentId: id, appointmentType: try .stored(type), scheduledAt: scheduledAt, showroomId: showroom, bookedAt: bookedAt))
        }
        return appointments
    }

    func brochureRequests(_ userId: String, _ page: Pagination) async throws -> ([PortalBrochureRequest], Int) {
        let total = try await count("SELECT count(*)::int FROM portal_brochure_requests WHERE user_id = \(userId)")
        var requests: [PortalBrochureRequest] = []
        let rows = try await database.query(
            """
            SELECT request_id, brochure_type, requested_at FROM portal_brochure_requests
            WHERE user_id = \(userId) ORDER BY requested_at DESC, request_id LIMIT \(page.limit) OFFSET \(page.offset)
            """)
        for try await (id, type, requestedAt) in rows.decode((String, String?, Date).self) {
            requests.append(PortalBrochureRequest(requestId: id, brochureType: type, requestedAt: requestedAt))
        }
        return (requests, total)
    }

    /// SQL: a ticket (columns of `support_tickets`, optionally qualified) that is still open.
    static func ticketIsOpen(_ table: String = "") -> String {
        "\(table.isEmpty ? "" : table + ".")status IN ('OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER')"
    }

    func support(_ userId: String) async throws -> PortalSupport {
        let counts = try await supportCounts(userId)
        var recent: [PortalSupport.Ticket] = []
        for try await (id, ref, subject, status, updatedAt) in try await database.query(
            """
            SELECT ticket_id, ticket_ref, subject, status, updated_at FROM support_tickets
            WHERE user_id = \(userId) ORDER BY updated_at DESC LIMIT 5
            """
        ).decode((UUID, String, String, String, Date).self) {
            recent.append(.init(ticketId: id, ticketRef: ref, subject: subject, status: try .stored(status), updatedAt: updatedAt))
        }
        return PortalSupport(
            open: counts.open, resolved: counts.resolved, closed: counts.closed, total: counts.total, awaitingReply: counts.awaiting, recent: recent)
    }

    /// The customer's tickets counted by state (the dashboard needs only these).
    func supportCounts(_ userId: String) async throws -> (open: Int, resolved: Int, closed: Int, total: Int, awaiting: Int) {
        try await database.query(
            """
            SELECT count(*) FILTER (WHERE \(unescaped: Self.ticketIsOpen()))::int,
                   count(*) FILTER (WHERE status = 'RESOLVED')::int,
                   count(*) FILTER (WHERE status = 'CLOSED')::int,
                   count(*)::int,
                   count(*) FILTER (WHERE status = 'WAITING_ON_CUSTOMER')::int
            FROM support_tickets WHERE user_id = \(userId)
            """
        ).decode((Int, Int, Int, Int, Int).self).firstElement() ?? (0, 0, 0, 0, 0)
    }

    private func count(_ query: PostgresQuery) async throws -> Int {
        try await database.query(query).value(Int.self) ?? 0
    }
}
