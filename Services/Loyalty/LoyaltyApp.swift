#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPKit

/// Composition root of the loyalty context: migrations, routes, consumed events, the expiry job.
struct LoyaltyService: ServiceDefinition {
    static let name = "loyalty"
    static let defaultPort = 4014
    static let migrations = LoyaltyMigrations.all
    /// The ledger's prepared statements keep one generic plan: Postgres would otherwise
    /// re-plan the write on every execution, because a custom plan looks cheaper. This
    /// applies to every parameterised statement of the pool; loyalty's all look rows up by key.
    static let databaseSettings = ["plan_cache_mode": "force_generic_plan"]

    static func addRoutes(to routes: RouterGroup<AppContext>, runtime: Runtime) async throws {
        let stores = try Stores(runtime)
        LoyaltyRoutes(store: stores.ledger).register(on: routes)
        ReferralRoutes(store: stores.referrals, cache: runtime.cache).register(on: routes)
    }

    static func eventHandlers(runtime: Runtime) throws -> EventHandlers {
        let stores = try Stores(runtime)
        var handlers = EventHandlers()
        OrderEarnings.register(on: &handlers, referrals: stores.referrals, pointsPerPound: stores.pointsPerPound)
        ReferrerNames.register(on: &handlers, runtime: runtime)
        Erasure.register(on: &handlers, runtime: runtime)
        DataExport.register(on: &handlers, runtime: runtime, ledger: stores.ledger, referrals: stores.referrals)
        return handlers
    }

    static func jobs(runtime: Runtime) throws -> [Job] {
        [ExpireLoyaltyPoints.job(ledger: try Stores(runtime).ledger)]
    }

    /// The stores, with the loyalty settings of ARCHITECTURE §9 read from the environment.
    struct Stores {
        let ledger: LedgerStore
        let referrals: ReferralStore
        let pointsPerPound: Decimal

        init(_ runtime: Runtime) throws {
            let env = runtime.configuration.environment
            ledger = LedgerStore(
                runtime: runtime, thresholds: try LoyaltyTierThresholds(env),
                expiryDays: try env.int("LOYALTY_POINTS_EXPIRY_DAYS", default: 365, range: 1...36_500))
            referrals = ReferralStore(ledger: ledger, rewards: .init(
                referrerPoints: try env.int("REFERRAL_REFERRER_POINTS", default: 250, range: 0...1_000_000),
                refereePoints: try env.int("REFERRAL_REFEREE_POINTS", default: 100, range: 0...1_000_000)))
            pointsPerPound = Decimal(try env.int("LOYALTY_POINTS_PER_POUND", default: 1, range: 0...1000))
        }
    }
}
