import Foundation
import HTTPKit

/// Composition root of the loyalty context: migrations and routes (referrals, order
/// earning and the expiry job arrive with the rest of the loyalty issue).
struct LoyaltyService: ServiceDefinition {
    static let name = "loyalty"
    static let defaultPort = 4014
    static let migrations = LoyaltyMigrations.all

    static func addRoutes(to routes: RouterGroup<AppContext>, runtime: Runtime) async throws {
        LoyaltyRoutes(store: try ledger(runtime)).register(on: routes)
        _ = try pointsPerPound(runtime)
    }

    static func eventHandlers(runtime: Runtime) -> EventHandlers {
        var handlers = EventHandlers()
        // Settings were validated at start-up by addRoutes.
        if let store = try? ledger(runtime), let perPound = try? pointsPerPound(runtime) {
            OrderEarnings.register(on: &handlers, store: store, pointsPerPound: perPound)
        }
        return handlers
    }

    static func ledger(_ runtime: Runtime) throws -> LedgerStore {
        let env = runtime.configuration.environment
        let thresholds = try LoyaltyTierThresholds(env)
        return LedgerStore(
            runtime: runtime, thresholds: thresholds,
            expiryDays: try env.int("LOYALTY_POINTS_EXPIRY_DAYS", default: 365, range: 1...36_500))
    }

    static func pointsPerPound(_ runtime: Runtime) throws -> Decimal {
        Decimal(try runtime.configuration.environment.int("LOYALTY_POINTS_PER_POUND", default: 1, range: 0...1000))
    }
}
