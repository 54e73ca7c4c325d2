import Contracts
import Domain
import HTTPKit
import PostgresNIO
import Storage

/// Reads what the dashboard and onboarding need; the independent reads run concurrently.
struct DashboardStore: Sendable {
    let profiles: ProfileStore
    let addresses: AddressStore
    let portal: PortalStore
    let thresholds: LoyaltyTierThresholds
    var database: Database { profiles.runtime.database }

    func onboarding(_ userId: String) async throws -> Onboarding {
        for try await (profile, address, preferences, wishlist) in try await database.query(
            """
            SELECT EXISTS (SELECT 1 FROM profiles WHERE user_id = \(userId)),
                   EXISTS (SELECT 1 FROM addresses WHERE user_id = \(userId)),
                   EXISTS (SELECT 1 FROM notification_preferences WHERE user_id = \(userId)),
                   COALESCE((SELECT item_count > 0 FROM wishlist_summaries WHERE user_id = \(userId)), false)
            """
        ).decode((Bool, Bool, Bool, Bool).self) {
            return Onboarding(hasProfile: profile, hasAddress: address, hasNotificationPreferences: preferences, hasWishlistItem: wishlist)
        }
        return Onboarding(hasProfile: false, hasAddress: false, hasNotificationPreferences: false, hasWishlistItem: false)
    }

    func dashboard(_ userId: String) async throws -> Dashboard {
        async let profile = profiles.find(userId)
        async let address = addresses.primary(userId)
        async let onboarding = onboarding(userId)
        async let loyaltyAndWishlist = loyaltyAndWishlist(userId)
        async let support = portal.supportCounts(userId)
        async let orders = portal.orderRows(userId, Pagination(page: 1, limit: 5))
        async let appointments = portal.upcomingAppointments(userId, limit: 5)

        let (loyalty, wishlistCount) = try await loyaltyAndWishlist
        let supportSummary = try await support
        let next = thresholds.next(lifetimePoints: loyalty.lifetime)
        return Dashboard(
            profile: try await profile,
            primaryAddress: try await address,
            loyaltyPoints: .init(
                current: loyalty.points, lifetime: loyalty.lifetime, tier: try .stored(loyalty.tier),
                nextTier: next?.tier, pointsToNextTier: next?.pointsNeeded),
            wishlistCount: wishlistCount,
            support: .init(open: supportSummary.open, awaitingReply: supportSummary.awaiting),
            recentOrders: try await orders,
            upcomingAppointments: try await appointments,
            unreadNotifications: supportSummary.awaiting,
            quickActions: try await onboarding.steps.filter { !$0.done }.map { .init(key: $0.key, label: $0.label, href: $0.href) }
        )
    }

    private func loyaltyAndWishlist(_ userId: String) async throws -> ((points: Int, lifetime: Int, tier: String), Int) {
        for try await (points, lifetime, tier, items) in try await database.query(
            """
            SELECT l.points, l.lifetime_points, l.tier, w.item_count
            FROM (SELECT 1) one
            LEFT JOIN loyalty_summaries l ON l.user_id = \(userId)
            LEFT JOIN wishlist_summaries w ON w.user_id = \(userId)
            """
        ).decode((Int?, Int?, String?, Int?).self) {
            return ((points ?? 0, lifetime ?? 0, tier ?? LoyaltyTier.bronze.rawValue), items ?? 0)
        }
        return ((0, 0, LoyaltyTier.bronze.rawValue), 0)
    }
}
