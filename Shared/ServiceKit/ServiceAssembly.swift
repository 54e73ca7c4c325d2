import Auth
import EventBus
import HTTPKit
import Hummingbird
import Logging
import ServiceLifecycle
import Storage

/// A service ready to run: the Hummingbird application, the runtime its routes use, and its
/// jobs (which the scheduler runs when `JOBS_ENABLED`; tests run them by hand).
public struct ServiceApp: Sendable {
    public let application: Application<RouterResponder<AppContext>>
    public let runtime: Runtime
    public let jobs: [Job]
}

/// Assembles a service the one way every context is assembled: the middleware chain of
/// ARCHITECTURE §4, the operational endpoints, the context's routes, and the lifecycle
/// services (database pool, Redis) that shut down after the HTTP server has drained.
public enum ServiceAssembly {
    /// - Parameter telemetry: the trace exporter, when the process exports traces; it runs first
    ///   and stops last, so the spans of the shutdown are flushed too.
    public static func make<S: ServiceDefinition>(
        _ definition: S.Type, configuration: ServiceConfiguration, logger: Logger, telemetry: [any Service] = []
    ) async throws -> ServiceApp {
        let runtime = makeRuntime(S.self, configuration: configuration, logger: logger)
        let service = try S(runtime: runtime)
        let database = runtime.database
        let redis = runtime.redis
        let migrated = Latch(open: !configuration.migrateOnStart)
        let events = try eventServices(service.eventHandlers(), runtime: runtime, migrated: migrated)
        let jobs = service.jobs()
        let verifier = await TokenVerifier(
            secret: configuration.jwtSecret, issuer: configuration.jwtIssuer, audience: configuration.jwtAudience)
        let limiter = RateLimiter(
            windowMs: configuration.rateLimitWindowMs, maxRequests: configuration.rateLimitMaxRequests,
            redis: redis, service: S.name)

        let router = Router(context: AppContext.self)
        // Outermost when tracing: the span (continuing the caller's traceparent) is current for
        // the whole request, the access log line included.
        if Spans.enabled { router.add(middleware: TracingMiddleware()) }
        router.add(middleware: EdgeMiddleware())
        router.add(middleware: CORSPolicyMiddleware(allowedOrigins: configuration.allowedOrigins))
        router.add(middleware: BodyLimitMiddleware())
        router.add(middleware: AuthenticationMiddleware(verifier: verifier))
        router.add(middleware: RateLimitMiddleware(limiter: limiter))

        OperationalRoutes(
            service: configuration.service,
            version: BuildVersion.current.description,
            checks: [
                ReadinessCheck(name: "database", required: true) { await database.ping() ? .ok : .down },
                ReadinessCheck(name: "redis", required: false) { await redis.ping() ? .ok : .down },
                ReadinessCheck(name: "kafka", required: false) {
                    guard let producer = events.producer else { return .disabled }
                    return await producer.brokersReachable() ? .ok : .down
                },
            ],
            outboxLag: { try? await Outbox.lagSeconds(database) }
        ).register(on: router)
        service.addRoutes(to: router.group("/v1/customers"))

        var application = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            // Shut down in reverse: HTTP drains, the consumer leaves its group, the relay
            // stops, the producer flushes, then Redis and the pool close.
            services: telemetry + [database, RedisService(redis: redis)] + events.services
                + jobServices(jobs, runtime: runtime, migrated: migrated),
            logger: logger
        )
        if configuration.migrateOnStart {
            application.beforeServerStarts {
                try await migrate(S.allMigrations, database: database, logger: logger)
                migrated.open()
            }
        }
        return ServiceApp(application: application, runtime: runtime, jobs: jobs)
    }

    /// The database pool, Redis, cache and outbox a service's routes, handlers and jobs share.
    public static func makeRuntime<S: ServiceDefinition>(_ definition: S.Type, configuration: ServiceConfiguration, logger: Logger) -> Runtime {
        // First: the pool's, the relay's and the consumer's metric handles are made below.
        PrometheusMetrics.bootstrap()
        var settings = configuration.database
        settings.sessionSettings = S.databaseSettings
        let database = Database(settings, logger: logger)
        let redis = RedisClient(configuration.redis, logger: logger)
        return Runtime(
            configuration: configuration,
            database: database,
            redis: redis,
            cache: Cache(redis: redis, service: S.name, ttlSeconds: configuration.redisTTLSeconds, logger: logger),
            outbox: Outbox(source: S.name, schema: configuration.database.schema),
            logger: logger
        )
    }

    /// The job scheduler, when the context has jobs and `JOBS_ENABLED` is true.
    static func jobServices(_ jobs: [Job], runtime: Runtime, migrated: Latch) -> [any Service] {
        guard runtime.configuration.jobsEnabled, !jobs.isEmpty else { return [] }
        return [JobScheduler(jobs: jobs, runtime: runtime, ready: migrated)]
    }

    /// The producer, outbox relay and (when the context consumes topics) the consumer, when
    /// Kafka is configured. Without `KAFKA_BROKERS` events wait in the outbox.
    static func eventServices(
        _ handlers: EventHandlers, runtime: Runtime, migrated: Latch
    ) throws -> (producer: KafkaProducer?, services: [any Service]) {
        guard let kafka = runtime.configuration.kafka else { return (nil, []) }
        let producer = try KafkaProducer(kafka, logger: runtime.logger)
        var services: [any Service] = [
            producer,
            OutboxRelay(database: runtime.database, producer: producer, outbox: runtime.outbox, logger: runtime.logger, ready: migrated),
        ]
        if !handlers.isEmpty {
            services.append(
                EventConsumer(
                    configuration: kafka, handlers: handlers, database: runtime.database, producer: producer, ready: migrated,
                    logger: runtime.logger))
        }
        return (producer, services)
    }

    /// Waits up to `attempts` seconds for the database to accept connections (services may start
    /// before Postgres in a fresh stack) and checks that it accepts this service. What PostgreSQL
    /// refuses for good stops the start at once, in its own words; a server that never answers
    /// stops it after the wait, naming the address and the last error.
    public static func checkDatabase(_ settings: DatabaseConfiguration, migrating: Bool, logger: Logger, attempts: Int = 30) async throws {
        var lastError: any Error = StorageError.unavailable
        for attempt in 1...attempts {
            do {
                try await settings.preflight(migrating: migrating, logger: logger)
                return
            } catch let refusal as DatabaseRefusal where refusal.inSchema && migrating {
                throw ConfigurationError(variable: "DATABASE_URL", problem: Self.cannotMigrate(settings.schema, refusal))
            } catch let refusal as DatabaseRefusal where refusal.inSchema && refusal.sqlState == "42P01" {
                // No migration table: the schema is missing or was never migrated.
                throw ConfigurationError(
                    variable: "DATABASE_SCHEMA",
                    problem: "\"\(settings.schema)\" is not migrated, or its role may not use it "
                        + "(MIGRATE_ON_START is false: run `migrate` first): \(refusal)")
            } catch let refusal as DatabaseRefusal {
                throw ConfigurationError(variable: "DATABASE_URL", problem: "was refused by PostgreSQL: \(refusal)")
            } catch {
                lastError = error
                if attempt < attempts {
                    logger.warning("database not reachable yet, retrying", metadata: ["attempt": .stringConvertible(attempt)])
                    try await Task.sleep(for: .seconds(1))
                }
            }
        }
        throw ConfigurationError(
            variable: "DATABASE_URL",
            problem: "points at \(settings.host):\(settings.port), which did not answer within \(attempts) s: \(DatabaseRefusal.describe(lastError))")
    }

    /// Applies migrations, waiting up to `attempts` seconds for the database to accept
    /// connections. A refusal (the role may not create in its schema) stops at once.
    public static func migrate(_ migrations: [Migration], database: Database, logger: Logger, attempts: Int = 30) async throws {
        let runner = MigrationRunner(database: database, migrations: migrations, logger: logger)
        for attempt in 1...attempts {
            do {
                try await runner.run()
                return
            } catch StorageError.unavailable where attempt < attempts {
                logger.warning("database not reachable yet, retrying migrations", metadata: ["attempt": .stringConvertible(attempt)])
                try await Task.sleep(for: .seconds(1))
            } catch {
                guard let refusal = DatabaseRefusal(StorageError.classify(error)) else { throw error }
                throw ConfigurationError(variable: "DATABASE_URL", problem: cannotMigrate(database.schema, refusal))
            }
        }
    }

    /// What PostgreSQL refused of a schema's migrations; a hint when it is about the role's rights.
    static func cannotMigrate(_ schema: String, _ refusal: DatabaseRefusal) -> String {
        // Without USAGE on its schema the role does not even see it: PostgreSQL then says that no
        // schema was selected (3F000).
        let rights = ["3F000", "42501"].contains(refusal.sqlState) ? " (its role needs USAGE and CREATE on it)" : ""
        return "cannot migrate schema \"\(schema)\"\(rights): \(refusal)"
    }
}

/// Closes the Redis connection once graceful shutdown reaches it.
struct RedisService: Service {
    let redis: RedisClient

    func run() async throws {
        try? await gracefulShutdown()
        redis.shutdown()
    }
}
