import Foundation

// Payloads of the events the four contexts publish (CONTRACT §12). An absent optional
// field is omitted from the JSON; consumers read a missing field as null.

public struct ProfileUpdated: EventPayload, Equatable {
    public enum Action: String, Codable, Sendable { case created, updated }
    public var userId: String
    public var action: Action
    public var changedFields: [String]
    public var firstName: String?
    public var lastName: String?
    public var email: String?
    public var phone: String?

    public init(userId: String, action: Action, changedFields: [String], firstName: String?, lastName: String?, email: String?, phone: String?) {
        self.userId = userId
        self.action = action
        self.changedFields = changedFields
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.phone = phone
    }
}

public struct ProfileAnonymized: EventPayload, Equatable {
    public var userId: String
    public var anonymizedAt: Date
    public init(userId: String, anonymizedAt: Date) {
        self.userId = userId
        self.anonymizedAt = anonymizedAt
    }
}

public struct NotificationPreferencesUpdated: EventPayload, Equatable {
    public var userId: String
    /// The full preference set after the change (CONTRACT §4 field names).
    public var preferences: [String: Bool]
    public init(userId: String, preferences: [String: Bool]) {
        self.userId = userId
        self.preferences = preferences
    }
}

public struct WishlistUpdated: EventPayload, Equatable {
    public enum Action: String, Codable, Sendable { case added, removed, cleared }
    public var userId: String
    public var action: Action
    public var productId: String?
    public var itemCount: Int
    public init(userId: String, action: Action, productId: String?, itemCount: Int) {
        self.userId = userId
        self.action = action
        self.productId = productId
        self.itemCount = itemCount
    }
}

public struct ReviewCreated: EventPayload, Equatable {
    public var reviewId: UUID
    public var userId: String
    public var productId: String
    public var rating: Int
    public var status: String
    public var createdAt: Date
}

public struct ReviewModerated: EventPayload, Equatable {
    public var reviewId: UUID
    public var userId: String
    public var productId: String
    public var rating: Int
    public var status: String
}

public struct SupportTicketCreated: EventPayload, Equatable {
    public var ticketId: UUID
    public var ticketRef: String
    public var userId: String
    public var subject: String
    public var category: String
    public var priority: String
    public var status: String
    public var createdAt: Date
}

public struct SupportTicketUpdated: EventPayload, Equatable {
    public var ticketId: UUID
    public var ticketRef: String
    public var userId: String
    public var subject: String
    public var status: String
    public var priority: String
    public var assignedTo: String?
    public var updatedAt: Date
}

public struct LoyaltyPointsEarned: EventPayload, Equatable {
    public var userId: String
    public var transactionId: UUID
    public var points: Int
    public var balance: Int
    public var lifetimePoints: Int
    public var tier: String
    public var reason: String
    public var referenceType: String?
    public var referenceId: String?
}

public struct LoyaltyAccountUpdated: EventPayload, Equatable {
    public var userId: String
    public var points: Int
    public var lifetimePoints: Int
    public var tier: String
    public var transactionId: UUID?
}

public struct LoyaltyTierChanged: EventPayload, Equatable {
    public var userId: String
    public var previousTier: String
    public var tier: String
    public var lifetimePoints: Int
}

public struct ReferralCompleted: EventPayload, Equatable {
    public var referralId: UUID
    public var referrerId: String
    public var refereeId: String
    public var referrerPoints: Int
    public var refereePoints: Int
}
