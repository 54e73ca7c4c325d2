import EventBus
import HTTPKit
import Hummingbird
import Logging
import Storage

/// What a bounded context declares; `ServiceAssembly` and `ServiceCommand` do the rest.
///
/// A definition is its context's composition root: `init(runtime:)` reads the context's
/// settings and makes its stores, once per process, and the routes, event handlers and jobs
/// receive them from it.
public protocol ServiceDefinition: Sendable {
    /// Executable, schema and metric label: `profiles`, `engagement`, `support`, `loyalty`.
    static var name: String { get }
    /// The port the service listens on when `PORT` is not set.
    static var defaultPort: Int { get }
    /// The schema's migrations, in order.
    static var migrations: [Migration] { get }
    /// Postgres settings every connection of the context's pool starts with (none by default).
    static var databaseSettings: [String: String] { get }
    /// Reads the context's settings and makes its stores. A configuration error stops the
    /// process with one line.
    init(runtime: Runtime) throws
    /// Adds the context's routes under `/v1/customers`.
    func addRoutes(to routes: RouterGroup<AppContext>)
    /// The topics the context consumes and their handlers (none by default).
    func eventHandlers() -> EventHandlers
    /// The context's scheduled jobs (none by default); `<service> jobs run <name>` runs one now.
    func jobs() -> [Job]
}

extension ServiceDefinition {
    public func eventHandlers() -> EventHandlers { EventHandlers() }
    public func jobs() -> [Job] { [] }
    public static var databaseSettings: [String: String] { [:] }

    /// The context's migrations, the event bus's outbox and inbox tables, and `job_runs`.
    static var allMigrations: [Migration] { migrations + EventBusMigrations.all + JobMigrations.all }
}

/// What a running service's routes, stores and jobs share.
public struct Runtime: Sendable {
    public let configuration: ServiceConfiguration
    public let database: Database
    public let redis: RedisClient
    public let cache: Cache
    /// Where routes, handlers and jobs write the events they publish, in their transaction.
    public let outbox: Outbox
    public let logger: Logger
}
