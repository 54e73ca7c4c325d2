import Domain
import EventBus
import HTTPKit
import Hummingbird
import ServiceKit

/// Composition root of the profiles context: its settings read once, its stores made once, and
/// the routes, consumed events and jobs that use them.
struct ProfilesService: ServiceDefinition {
    static let name = "profiles"
    static let defaultPort = 4011
    static let migrations = ProfilesMigrations.all

    /// The context's settings (ARCHITECTURE §9), read from the environment at start-up.
    struct Settings: Sendable {
        let tiers: LoyaltyTierThresholds
        /// How long an export waits for every part (`PRIVACY_EXPORT_TIMEOUT_SECONDS`).
        let exportTimeoutSeconds: Int
        /// A profile idle this long is anonymised (`GDPR_INACTIVITY_DAYS`).
        let inactivityDays: Int

        init(_ env: EnvironmentVariables) throws {
            tiers = try LoyaltyTierThresholds(env)
            exportTimeoutSeconds = try env.int("PRIVACY_EXPORT_TIMEOUT_SECONDS", default: 300, range: 1...86_400)
            inactivityDays = try env.int("GDPR_INACTIVITY_DAYS", default: 730, range: 1...36_500)
        }
    }

    let runtime: Runtime
    let settings: Settings
    let profiles: ProfileStore
    let addresses: AddressStore
    let preferences: PreferencesStore
    let portal: PortalStore
    let privacy: PrivacyStore

    init(runtime: Runtime) throws {
        self.runtime = runtime
        settings = try Settings(runtime.configuration.environment)
        profiles = ProfileStore(runtime: runtime)
        addresses = AddressStore(database: runtime.database, logger: runtime.logger)
        preferences = PreferencesStore(runtime: runtime)
        portal = PortalStore(database: runtime.database)
        privacy = PrivacyStore(runtime: runtime, exportTimeoutSeconds: settings.exportTimeoutSeconds)
    }

    func addRoutes(to routes: RouterGroup<AppContext>) {
        ProfileController(store: profiles).register(on: routes)
        AddressController(store: addresses).register(on: routes)
        PreferencesController(store: preferences).register(on: routes)
        DashboardController(
            store: DashboardStore(
                profiles: profiles, addresses: addresses, portal: portal, thresholds: settings.tiers
            )
        ).register(on: routes)
        PortalController(store: portal).register(on: routes)
        CustomerSearchController(database: runtime.database).register(on: routes)
        PrivacyController(store: privacy).register(on: routes)
    }

    func eventHandlers() -> EventHandlers {
        var handlers = EventHandlers()
        SignUps.register(on: &handlers, runtime: runtime)
        // The projections other contexts' events feed (ARCHITECTURE §5): every write is an upsert
        // guarded by the event time, or an insert once per id, so events may come in any order
        // and twice.
        LoyaltySummaries.register(on: &handlers, logger: runtime.logger)
        WishlistSummaries.register(on: &handlers, logger: runtime.logger)
        SupportTickets.register(on: &handlers, logger: runtime.logger)
        PortalOrders.register(on: &handlers, logger: runtime.logger)
        PortalAppointments.register(on: &handlers, logger: runtime.logger)
        PortalBrochureRequests.register(on: &handlers, logger: runtime.logger)
        ExportEvents.register(
            on: &handlers, runtime: runtime, privacy: privacy, profiles: profiles, addresses: addresses,
            preferences: preferences, portal: portal)
        return handlers
    }

    func jobs() -> [Job] {
        [
            SyncCustomerData.job(runtime: runtime),
            AnonymizeInactiveUsers.job(runtime: runtime, inactivityDays: settings.inactivityDays),
            RebuildCustomerIndex.job(runtime: runtime),
            ExpirePrivacyExports.job(privacy: privacy),
        ]
    }
}
