import Contracts

/// The customer's home screen (CONTRACT §2), assembled from this context's own tables and
/// projections — never from calls to other services.
struct Dashboard: Codable, Sendable {
    struct LoyaltyPoints: Codable, Sendable {
        let current: Int
        let lifetime: Int
        let tier: LoyaltyTier
        @Nullable var nextTier: LoyaltyTier?
        @Nullable var pointsToNextTier: Int?
    }
    struct Support: Codable, Sendable {
        let open: Int
        let awaitingReply: Int
    }
    struct QuickAction: Codable, Sendable {
        let key: String
        let label: String
        let href: String
    }

    @Nullable var profile: Profile?
    @Nullable var primaryAddress: Address?
    let loyaltyPoints: LoyaltyPoints
    let wishlistCount: Int
    let support: Support
    let recentOrders: [PortalOrder]
    let upcomingAppointments: [PortalAppointment]
    let unreadNotifications: Int
    let quickActions: [QuickAction]
}
