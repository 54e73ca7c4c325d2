import Contracts

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// The portal's read models (CONTRACT §10), built from other services' events.

struct PortalOrder: Codable, Sendable {
    let orderId: String
    @Nullable var orderRef: String?
    let totalAmount: Decimal
    let currency: String
    let itemCount: Int
    let paidAt: Date
}

struct PortalAppointment: Codable, Sendable {
    let appointmentId: String
    let appointmentType: AppointmentBookingCreated.AppointmentType
    let scheduledAt: Date
    @Nullable var showroomId: String?
    let bookedAt: Date
}

struct PortalBrochureRequest: Codable, Sendable {
    let requestId: String
    @Nullable var brochureType: String?
    let requestedAt: Date
}

struct PortalSupport: Encodable, Sendable {
    struct Ticket: Codable, Sendable {
        @LowercaseID var ticketId: UUID
        let ticketRef: String
        let subject: String
        let status: TicketStatus
        let updatedAt: Date
    }
    let open: Int
    let resolved: Int
    let closed: Int
    let total: Int
    /// Tickets waiting on the customer's reply.
    let awaitingReply: Int
    let recent: [Ticket]

    enum CodingKeys: String, CodingKey { case open, resolved, closed, total, recent }
}
