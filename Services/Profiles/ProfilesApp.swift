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
        let privacy = try privacyStore(runtime)

        ProfileRoutes(store: profiles, cache: runtime.cache).register(on: routes)
        AddressRoutes(store: addresses).register(on: routes)
        PreferencesRoutes(store: preferences).register(on: routes)
        DashboardRoutes(store: DashboardStore(
            profiles: profiles, addresses: addresses, portal: portal, thresholds: thresholds
        )).register(on: routes)
        PortalRoutes(store: portal).register(on: routes)
        CustomerSearchRoutes(database: runtime.database).register(on: routes)
        PrivacyRoutes(store: privacy).register(on: routes)
    }

    static func privacyStore(_ runtime: Runtime) throws -> PrivacyStore {
        let timeout = try runtime.configuration.environment.int("PRIVACY_EXPORT_TIMEOUT_SECONDS", default: 300, range: 1...86_400)
        return PrivacyStore(runtime: runtime, exportTimeoutSeconds: timeout)
    }

    static func jobs(runtime: Runtime) throws -> [Job] {
        let inactivityDays = try runtime.configuration.environment.int("GDPR_INACTIVITY_DAYS", default: 730, range: 1...36_500)
        return [
            SyncCustomerData.job(runtime: runtime),
            AnonymizeInactiveUsers.job(runtime: runtime, inactivityDays: inactivityDays),
            RebuildCustomerIndex.job(runtime: runtime),
            ExpirePrivacyExports.job(privacy: try privacyStore(runtime)),
        ]
    }

    static func eventHandlers(runtime: Runtime) throws -> EventHandlers {
        var handlers = EventHandlers()
        UserCreatedHandler.register(on: &handlers, runtime: runtime)
        ProjectionHandlers.register(on: &handlers, runtime: runtime)
        ExportEvents.register(
            on: &handlers, runtime: runtime, privacy: try privacyStore(runtime), profiles: ProfileStore(runtime: runtime),
            addresses: AddressStore(database: runtime.database, logger: runtime.logger),
            preferences: PreferencesStore(runtime: runtime), portal: PortalStore(database: runtime.database))
        return handlers
    }
}
