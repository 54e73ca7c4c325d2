#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// Payloads of the events the four contexts publish (CONTRACT §12). An absent optional
// field is omitted from the JSON; consumers read a missing field as null.

public struct ProfileUpdated: EventPayload, Equatable {
    public enum Action: String, Codable, Sendable { case created, updated }
    public var userId: String
    public var action: Action
    public var changedFields: [String]
    // Sent as null when absent, so a consumer can tell "cleared".
    @Nullable public var firstName: String?
    @Nullable public var lastName: String?
    @Nullable public var email: String?
    @Nullable public var phone: String?

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
    /// The whole preference set after the change, as `GET /notification-preferences` shows it.
    public struct Preferences: Codable, Sendable, Equatable {
        public var emailMarketing, smsMarketing, pushMarketing, newsletter, promotionalOffers, productUpdates: Bool
        public var orderUpdates, appointmentReminders: Bool
        public var preferredChannel: String
        @Nullable public var optedOutAt: Date?
        @Nullable public var updatedAt: Date?

        public init(flags: [String: Bool], preferredChannel: String, optedOutAt: Date?, updatedAt: Date?) {
            emailMarketing = flags["emailMarketing"] ?? false
            smsMarketing = flags["smsMarketing"] ?? false
            pushMarketing = flags["pushMarketing"] ?? false
            newsletter = flags["newsletter"] ?? false
            promotionalOffers = flags["promotionalOffers"] ?? false
            productUpdates = flags["productUpdates"] ?? false
            orderUpdates = flags["orderUpdates"] ?? true
            appointmentReminders = flags["appointmentReminders"] ?? true
            self.preferredChannel = preferredChannel
            self.optedOutAt = optedOutAt
            self.updatedAt = updatedAt
        }
    }

    public var userId: String
    public var preferences: Preferences
    public init(userId: String, preferences: Preferences) {
        self.userId = userId
        self.preferences = preferences
    }
}

public struct WishlistUpdated: EventPayload, Equatable {
    public enum Action: String, Codable, Sendable { case added, removed, cleared }
    public var userId: String
    public var action: Action
    /// null on `cleared`.
    @Nullable public var productId: String?
    public var itemCount: Int
    public init(userId: String, action: Action, productId: String?, itemCount: Int) {
        self.userId = userId
        self.action = action
        self.productId = productId
        self.itemCount = itemCount
    }
}

public struct ReviewCreated: EventPayload, Equatable {
    @LowercaseID public var reviewId: UUID
    public var userId: String
    public var productId: String
    public var rating: Int
    public var status: ReviewStatus
    public var createdAt: Date

    public init(reviewId: UUID, userId: String, productId: String, rating: Int, status: ReviewStatus, createdAt: Date) {
        self.reviewId = reviewId
        self.userId = userId
        self.productId = productId
        self.rating = rating
        self.status = status
        self.createdAt = createdAt
    }
}

public struct ReviewModerated: EventPayload, Equatable {
    @LowercaseID public var reviewId: UUID
    public var userId: String
    public var productId: String
    public var rating: Int
    public var status: ReviewStatus

    public init(reviewId: UUID, userId: String, productId: String, rating: Int, status: ReviewStatus) {
        self.reviewId = reviewId
        self.userId = userId
        self.productId = productId
        self.rating = rating
        self.status = status
    }
}

public struct SupportTicketCreated: EventPayload, Equatable {
    @LowercaseID public var ticketId: UUID
    public var ticketRef: String
    public var userId: String
    public var subject: String
    public var category: TicketCategory
    public var priority: TicketPriority
    public var status: TicketStatus
    public var createdAt: Date

    public init(
        ticketId: UUID, ticketRef: String, userId: String, subject: String, category: TicketCategory, priority: TicketPriority, status: TicketStatus,
        createdAt: Date
    ) {
        self.ticketId = ticketId
        self.ticketRef = ticketRef
        self.userId = userId
        self.subject = subject
        self.category = category
        self.priority = priority
        self.status = status
        self.createdAt = createdAt
    }
}

public struct SupportTicketUpdated: EventPayload, Equatable {
    @LowercaseID public var ticketId: UUID
    public var ticketRef: String
    public var userId: String
    public var subject: String
    public var status: TicketStatus
    public var priority: TicketPriority
    /// null when unassigned.
    @Nullable public var assignedTo: String?
    public var updatedAt: Date

    public init(
        ticketId: UUID, ticketRef: String, userId: String, subject: String, status: TicketStatus, priority: TicketPriority, assignedTo: String? = nil,
        updatedAt: Date
    ) {
        self.ticketId = ticketId
        self.ticketRef = ticketRef
        self.userId = userId
        self.subject = subject
        self.status = status
        self.priority = priority
        self.assignedTo = assignedTo
        self.updatedAt = updatedAt
    }
}

public struct LoyaltyPointsEarned: EventPayload, Equatable {
    public var userId: String
    @LowercaseID public var transactionId: UUID
    public var points: Int
    public var balance: Int
    public var lifetimePoints: Int
    public var tier: LoyaltyTier
    public var reason: String
    public var referenceType: String?
    public var referenceId: String?

    public init(
        userId: String, transactionId: UUID, points: Int, balance: Int, lifetimePoints: Int, tier: LoyaltyTier, reason: String,
        referenceType: String? = nil, referenceId: String? = nil
    ) {
        self.userId = userId
        self.transactionId = transactionId
        self.points = points
        self.balance = balance
        self.lifetimePoints = lifetimePoints
        self.tier = tier
        self.reason = reason
        self.referenceType = referenceType
        self.referenceId = referenceId
    }
}

public struct LoyaltyAccountUpdated: EventPayload, Equatable {
    public var userId: String
    public var points: Int
    public var lifetimePoints: Int
    public var tier: LoyaltyTier
    @Nullable public var transactionId: UUID?

    public init(userId: String, points: Int, lifetimePoints: Int, tier: LoyaltyTier, transactionId: UUID? = nil) {
        self.userId = userId
        self.points = points
        self.lifetimePoints = lifetimePoints
        self.tier = tier
        self.transactionId = transactionId
    }
}

public struct LoyaltyTierChanged: EventPayload, Equatable {
    public var userId: String
    public var previousTier: LoyaltyTier
    public var tier: LoyaltyTier
    public var lifetimePoints: Int

    public init(userId: String, previousTier: LoyaltyTier, tier: LoyaltyTier, lifetimePoints: Int) {
        self.userId = userId
        self.previousTier = previousTier
        self.tier = tier
        self.lifetimePoints = lifetimePoints
    }
}

public struct ReferralCompleted: EventPayload, Equatable {
    @LowercaseID public var referralId: UUID
    public var referrerId: String
    public var refereeId: String
    public var referrerPoints: Int
    public var refereePoints: Int

    public init(referralId: UUID, referrerId: String, refereeId: String, referrerPoints: Int, refereePoints: Int) {
        self.referralId = referralId
        self.referrerId = referrerId
        self.refereeId = refereeId
        self.referrerPoints = referrerPoints
        self.refereePoints = refereePoints
    }
}
