import Domain
import EventBus
import HTTPKit
import Hummingbird
import ServiceKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Composition root of the loyalty context: its settings read once (ARCHITECTURE §9), its
/// stores made once, and the routes, consumed events and the expiry job that use them.
struct LoyaltyService: ServiceDefinition {
    static let name = "loyalty"
    static let defaultPort = 4014
    static let migrations = LoyaltyMigrations.all
    /// The ledger's prepared statements keep one generic plan: Postgres would otherwise
    /// re-plan the write on every execution, because a custom plan looks cheaper. This
    /// applies to every parameterised statement of the pool; loyalty's all look rows up by key.
    static let databaseSettings = ["plan_cache_mode": "force_generic_plan"]

    let runtime: Runtime
    let ledger: LedgerStore
    let referrals: ReferralStore
    /// Points earned per pound of a paid order (`LOYALTY_POINTS_PER_POUND`).
    let pointsPerPound: Decimal

    init(runtime: Runtime) throws {
        let env = runtime.configuration.environment
        self.runtime = runtime
        ledger = LedgerStore(
            runtime: runtime, thresholds: try LoyaltyTierThresholds(env),
            expiryDays: try env.int("LOYALTY_POINTS_EXPIRY_DAYS", default: 365, range: 1...36_500))
        referrals = ReferralStore(
            ledger: ledger,
            rewards: .init(
                referrerPoints: try env.int("REFERRAL_REFERRER_POINTS", default: 250, range: 0...1_000_000),
                refereePoints: try env.int("REFERRAL_REFEREE_POINTS", default: 100, range: 0...1_000_000)))
        pointsPerPound = Decimal(try env.int("LOYALTY_POINTS_PER_POUND", default: 1, range: 0...1000))
    }

    func addRoutes(to routes: RouterGroup<AppContext>) {
        LoyaltyController(store: ledger).register(on: routes)
        ReferralController(store: referrals).register(on: routes)
    }

    func eventHandlers() -> EventHandlers {
        var handlers = EventHandlers()
        OrderEarnings.register(on: &handlers, referrals: referrals, pointsPerPound: pointsPerPound)
        ReferrerNames.register(on: &handlers, runtime: runtime)
        Erasure.register(on: &handlers, runtime: runtime)
        DataExport.register(on: &handlers, runtime: runtime, ledger: ledger, referrals: referrals)
        return handlers
    }

    func jobs() -> [Job] {
        [ExpireLoyaltyPoints.job(ledger: ledger)]
    }
}
