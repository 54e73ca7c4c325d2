import HTTPKit

/// Composition root of the profiles context: migrations, routes, consumed events.
struct ProfilesService: ServiceDefinition {
    static let name = "profiles"
    static let defaultPort = 4011
    static let migrations = ProfilesMigrations.all

    static func addRoutes(to routes: RouterGroup<AppContext>, runtime: Runtime) async throws {
        let env = runtime.configuration.environment
        let thresholds = try LoyaltyTierThresholds(env)
        let profiles = ProfileStore(runtime: runtime)
        let addresses = AddressStore(database: runtime.database, logger: runtime.logger)
        let preferences = PreferencesStore(runtime: runtime)
        let portal = PortalStore(database: runtime.database)

        ProfileRoutes(store: profiles, cache: runtime.cache).register(on: routes)
        AddressRoutes(store: addresses).register(on: routes)
        PreferencesRoutes(store: preferences).register(on: routes)
        DashboardRoutes(store: DashboardStore(
            profiles: profiles, addresses: addresses, portal: portal, thresholds: thresholds
        )).register(on: routes)
        PortalRoutes(store: portal).register(on: routes)
        CustomerSearchRoutes(database: runtime.database).register(on: routes)
    }

    static func jobs(runtime: Runtime) throws -> [Job] {
        let inactivityDays = try runtime.configuration.environment.int("GDPR_INACTIVITY_DAYS", default: 730, range: 1...36_500)
        return [
            SyncCustomerData.job(runtime: runtime),
            AnonymizeInactiveUsers.job(runtime: runtime, inactivityDays: inactivityDays),
            RebuildCustomerIndex.job(runtime: runtime),
        ]
    }

    static func eventHandlers(runtime: Runtime) -> EventHandlers {
        var handlers = EventHandlers()
        UserCreatedHandler.register(on: &handlers, runtime: runtime)
        ProjectionHandlers.register(on: &handlers, runtime: runtime)
        return handlers
    }
}
