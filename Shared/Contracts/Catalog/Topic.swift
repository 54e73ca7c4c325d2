/// A Kafka topic and the payload type its messages carry. Publishers and handlers name a
/// `Topic<Payload>`, so the wrong payload can never be put on, or read from, a topic.
public struct Topic<Payload: EventPayload>: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    /// The payload's schema version, written into each envelope.
    public let version: Int

    public init(_ name: String, version: Int = 1) {
        self.name = name
        self.version = version
    }

    /// Where messages that cannot be processed go.
    public var deadLetterTopic: String { Topics.deadLetter(of: name) }
    public var description: String { name }
}

/// Every topic of CONTRACT §12: the ones the contexts publish and the ones other platform
/// services publish to us.
public enum Topics {
    /// `<topic>.dlq`: where messages of `topic` that cannot be processed go.
    public static func deadLetter(of topic: String) -> String { topic + ".dlq" }
    // Published by profiles.
    public static let profileUpdated = Topic<ProfileUpdated>("customer.profile.updated")
    public static let profileAnonymized = Topic<ProfileAnonymized>("customer.profile.anonymized")
    public static let notificationPreferencesUpdated = Topic<NotificationPreferencesUpdated>("customer.notification_preferences.updated")
    // Privacy requests (CONTRACT §13): profiles asks, every context answers an export.
    public static let dataExportRequested = Topic<DataExportRequested>("customer.data_export.requested")
    public static let dataExportPart = Topic<DataExportPart>("customer.data_export.part")
    public static let erasureRequested = Topic<ErasureRequested>("customer.erasure.requested")
    // Published by engagement.
    public static let wishlistUpdated = Topic<WishlistUpdated>("customer.wishlist.updated")
    public static let reviewCreated = Topic<ReviewCreated>("customer.review.created")
    public static let reviewModerated = Topic<ReviewModerated>("customer.review.moderated")
    // Published by support.
    public static let supportTicketCreated = Topic<SupportTicketCreated>("customer.support_ticket.created")
    public static let supportTicketUpdated = Topic<SupportTicketUpdated>("customer.support_ticket.updated")
    // Published by loyalty.
    public static let loyaltyPointsEarned = Topic<LoyaltyPointsEarned>("customer.loyalty_points.earned")
    public static let loyaltyAccountUpdated = Topic<LoyaltyAccountUpdated>("customer.loyalty_account.updated")
    public static let loyaltyTierChanged = Topic<LoyaltyTierChanged>("customer.loyalty_tier.changed")
    public static let referralCompleted = Topic<ReferralCompleted>("customer.referral.completed")
    // Published by other platform services.
    public static let userCreated = Topic<UserCreated>("auth.user.created")
    public static let orderPaymentSucceeded = Topic<OrderPaymentSucceeded>("order.payment.succeeded")
    public static let appointmentBookingCreated = Topic<AppointmentBookingCreated>("appointment.booking.created")
    public static let brochureRequestCreated = Topic<BrochureRequestCreated>("brochure.request.created")

    /// Topics whose messages carry a copy of a customer's personal data for one use (export
    /// parts): short Kafka retention (docs/events.md), and the relay deletes their outbox rows
    /// as soon as they are published instead of keeping them for a week.
    public static let shortLived: Set<String> = [dataExportPart.name]

    /// The topics each context publishes (CONTRACT §12): its relay reports every one of them
    /// on `/metrics` from the start, at 0 until the first event.
    public static let publishedBy: [String: [String]] = [
        "profiles": [
            profileUpdated.name, profileAnonymized.name, notificationPreferencesUpdated.name, dataExportRequested.name, erasureRequested.name,
        ],
        "engagement": [wishlistUpdated.name, reviewCreated.name, reviewModerated.name, dataExportPart.name],
        "support": [supportTicketCreated.name, supportTicketUpdated.name, dataExportPart.name],
        "loyalty": [loyaltyPointsEarned.name, loyaltyAccountUpdated.name, loyaltyTierChanged.name, referralCompleted.name, dataExportPart.name],
    ]

    /// Every topic name, for provisioning and documentation checks.
    public static let allNames: [String] = [
        profileUpdated.name, profileAnonymized.name, notificationPreferencesUpdated.name,
        dataExportRequested.name, dataExportPart.name, erasureRequested.name,
        wishlistUpdated.name, reviewCreated.name, reviewModerated.name,
        supportTicketCreated.name, supportTicketUpdated.name,
        loyaltyPointsEarned.name, loyaltyAccountUpdated.name, loyaltyTierChanged.name, referralCompleted.name,
        userCreated.name, orderPaymentSucceeded.name, appointmentBookingCreated.name, brochureRequestCreated.name,
    ]
}
