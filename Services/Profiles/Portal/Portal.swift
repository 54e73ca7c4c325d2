import Foundation

// The portal's read models (CONTRACT §10), built from other services' events.

struct PortalOrder: Encodable, Sendable {
    let orderId: String
    let orderRef: String?
    let totalAmount: Decimal
    let currency: String
    let itemCount: Int
    let paidAt: Date

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(orderId, forKey: .orderId)
        try c.encode(orderRef, forKey: .orderRef)
        try c.encode(totalAmount, forKey: .totalAmount)
        try c.encode(currency, forKey: .currency)
        try c.encode(itemCount, forKey: .itemCount)
        try c.encode(paidAt, forKey: .paidAt)
    }
    enum CodingKeys: String, CodingKey { case orderId, orderRef, totalAmount, currency, itemCount, paidAt }
}

struct PortalAppointment: Encodable, Sendable {
    let appointmentId: String
    let appointmentType: String
    let scheduledAt: Date
    let showroomId: String?
    let bookedAt: Date

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(appointmentId, forKey: .appointmentId)
        try c.encode(appointmentType, forKey: .appointmentType)
        try c.encode(scheduledAt, forKey: .scheduledAt)
        try c.encode(showroomId, forKey: .showroomId)
        try c.encode(bookedAt, forKey: .bookedAt)
    }
    enum CodingKeys: String, CodingKey { case appointmentId, appointmentType, scheduledAt, showroomId, bookedAt }
}

struct PortalBrochureRequest: Encodable, Sendable {
    let requestId: String
    let brochureType: String?
    let requestedAt: Date

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(requestId, forKey: .requestId)
        try c.encode(brochureType, forKey: .brochureType)
        try c.encode(requestedAt, forKey: .requestedAt)
    }
    enum CodingKeys: String, CodingKey { case requestId, brochureType, requestedAt }
}

struct PortalSupport: Encodable, Sendable {
    struct Ticket: Encodable, Sendable {
        let ticketId: UUID
        let ticketRef: String
        let subject: String
        let status: String
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
