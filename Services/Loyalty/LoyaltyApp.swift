import HTTPKit

/// Composition root of the loyalty context: migrations and routes (referrals, order
/// earning and the expiry job arrive with the rest of the loyalty issue).
struct LoyaltyService: ServiceDefinition {
    static let name = "loyalty"
    static let defaultPort = 4014
    static let migrations = LoyaltyMigrations.all

    static func addRoutes(to routes: RouterGroup<AppContext>, runtime: Runtime) async throws {
        let env = runtime.configuration.environment
        let thresholds = LoyaltyTierThresholds(
            silver: try env.int("LOYALTY_SILVER_THRESHOLD", default: 1000, range: 1...100_000_000),
            gold: try env.int("LOYALTY_GOLD_THRESHOLD", default: 5000, range: 1...100_000_000),
            platinum: try env.int("LOYALTY_PLATINUM_THRESHOLD", default: 15000, range: 1...100_000_000))
        let store = LedgerStore(
            runtime: runtime, thresholds: thresholds,
            expiryDays: try env.int("LOYALTY_POINTS_EXPIRY_DAYS", default: 365, range: 1...36_500))
        LoyaltyRoutes(store: store).register(on: routes)
    }
}
