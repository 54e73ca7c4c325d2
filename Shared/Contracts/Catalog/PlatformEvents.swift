#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// Payloads of the events other platform services publish to us (CONTRACT §12).

public struct UserCreated: EventPayload, Equatable {
    public var userId: String
    public var email: String
    public var firstName: String?
    public var lastName: String?
    public var phone: String?
    public var role: String
    public var registeredAt: Date
    public init(
        userId: String, email: String, firstName: String? = nil, lastName: String? = nil, phone: String? = nil, role: String = "customer",
        registeredAt: Date
    ) {
        self.userId = userId
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.phone = phone
        self.role = role
        self.registeredAt = registeredAt
    }
}

public struct OrderPaymentSucceeded: EventPayload, Equatable {
    public struct Item: Codable, Sendable, Equatable {
        public var productId: String
        public var quantity: Int
        public var unitPrice: Decimal
        public init(productId: String, quantity: Int, unitPrice: Decimal) {
            self.productId = productId
            self.quantity = quantity
            self.unitPrice = unitPrice
        }
    }
    public var orderId: String
    public var orderRef: String?
    public var userId: String
    /// Pounds, as a JSON number.
    public var totalAmount: Decimal
    public var currency: String
    public var items: [Item]
    public var paidAt: Date
    public init(orderId: String, orderRef: String? = nil, userId: String, totalAmount: Decimal, currency: String = "GBP", items: [Item], paidAt: Date)
    {
        self.orderId = orderId
        self.orderRef = orderRef
        self.userId = userId
        self.totalAmount = totalAmount
        self.currency = currency
        self.items = items
        self.paidAt = paidAt
    }
}

public struct AppointmentBookingCreated: EventPayload, Equatable {
    public enum AppointmentType: String, Codable, Sendable {
        case home = "HOME"
        case online = "ONLINE"
        case showroom = "SHOWROOM"
    }
    public var appointmentId: String
    public var userId: String
    public var appointmentType: AppointmentType
    public var showroomId: String?
    public var scheduledAt: Date
    public var bookedAt: Date

    public init(appointmentId: String, userId: String, appointmentType: AppointmentType, showroomId: String? = nil, scheduledAt: Date, bookedAt: Date)
    {
        self.appointmentId = appointmentId
        self.userId = userId
        self.appointmentType = appointmentType
        self.showroomId = showroomId
        self.scheduledAt = scheduledAt
        self.bookedAt = bookedAt
    }
}

public struct BrochureRequestCreated: EventPayload, Equatable {
    public var requestId: String
    public var userId: String
    public var brochureType: String?
    public var requestedAt: Date

    public init(requestId: String, userId: String, brochureType: String? = nil, requestedAt: Date) {
        self.requestId = requestId
        self.userId = userId
        self.brochureType = brochureType
        self.requestedAt = requestedAt
    }
}
