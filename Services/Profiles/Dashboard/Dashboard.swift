import HTTPKit

/// The customer's home screen (CONTRACT §2), assembled from this context's own tables and
/// projections — never from calls to other services.
struct Dashboard: Encodable, Sendable {
    struct LoyaltyPoints: Encodable, Sendable {
        let current: Int
        let lifetime: Int
        let tier: String
        let nextTier: String?
        let pointsToNextTier: Int?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(current, forKey: .current)
            try c.encode(lifetime, forKey: .lifetime)
            try c.encode(tier, forKey: .tier)
            try c.encode(nextTier, forKey: .nextTier)
            try c.encode(pointsToNextTier, forKey: .pointsToNextTier)
        }
        enum CodingKeys: String, CodingKey { case current, lifetime, tier, nextTier, pointsToNextTier }
    }
    struct Support: Encodable, Sendable {
        let open: Int
        let awaitingReply: Int
    }
    struct QuickAction: Encodable, Sendable {
        let key: String
        let label: String
        let href: String
    }

    let profile: Profile?
    let primaryAddress: Address?
    let loyaltyPoints: LoyaltyPoints
    let wishlistCount: Int
    let support: Support
    let recentOrders: [PortalOrder]
    let upcomingAppointments: [PortalAppointment]
    let unreadNotifications: Int
    let quickActions: [QuickAction]

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(profile, forKey: .profile)
        try c.encode(primaryAddress, forKey: .primaryAddress)
        try c.encode(loyaltyPoints, forKey: .loyaltyPoints)
        try c.encode(wishlistCount, forKey: .wishlistCount)
        try c.encode(support, forKey: .support)
        try c.encode(recentOrders, forKey: .recentOrders)
        try c.encode(upcomingAppointments, forKey: .upcomingAppointments)
        try c.encode(unreadNotifications, forKey: .unreadNotifications)
        try c.encode(quickActions, forKey: .quickActions)
    }
    enum CodingKeys: String, CodingKey {
        case profile, primaryAddress, loyaltyPoints, wishlistCount, support, recentOrders, upcomingAppointments, unreadNotifications, quickActions
    }
}
