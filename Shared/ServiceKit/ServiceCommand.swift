import ArgumentParser
import Contracts
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Storage

/// The command line of every service: `serve` (default) and `migrate`.
///
/// A service's `main.swift` is one line: `await ServiceCommand<ProfilesService>.run()`.
public struct ServiceCommand<S: ServiceDefinition>: AsyncParsableCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: S.name,
            abstract: "The Lomash Wood customer platform's \(S.name) service.",
            subcommands: [Serve.self, Migrate.self, Jobs.self],
            defaultSubcommand: Serve.self
        )
    }

    public init() {}

    /// Parses the process arguments and runs the chosen subcommand (what `main()` of an
    /// `@main` command does; a generic command cannot be `@main`).
    /// A configuration error (a variable, or what the database or the port refused) ends the
    /// process with one line, `<service>: configuration error: <variable> <problem>`, and exit 1.
    public static func run() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("\(S.name): configuration error: \(error)\n".utf8))
            exit(withError: ExitCode(1))
        } catch {
            exit(withError: error)
        }
    }

    struct Serve: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(abstract: "Apply pending migrations (unless MIGRATE_ON_START=false) and serve HTTP.")
        }

        func run() async throws {
            let configuration = try ServiceCommand.loadConfiguration()
            let environment = ProcessInfo.processInfo.environment
            let logger = ServiceCommand.bootstrapLogging(configuration, traced: TraceExport.isConfigured(environment))
            let tracing: (any Service)?
            do {
                tracing = try TraceExport.bootstrap(service: S.name, environment: environment, logger: logger)
            } catch {
                throw ConfigurationError(variable: "OTEL_EXPORTER_OTLP_*", problem: "cannot be used: \(error)")
            }
            // The port first: a taken port is known at once, where the database may be waited for.
            try await Self.checkPortIsFree(host: configuration.host, port: configuration.port)
            try await ServiceAssembly.checkDatabase(
                configuration.database, migrating: configuration.migrateOnStart, logger: logger, attempts: configuration.databaseWaitSeconds)
            let app = try await ServiceAssembly.make(S.self, configuration: configuration, logger: logger, telemetry: tracing.map { [$0] } ?? [])
            logger.info("starting", metadata: ["port": .stringConvertible(configuration.port), "version": "\(BuildVersion.current)"])
            do {
                try await app.application.runService()
            } catch let error as IOError where error.errnoCode == EADDRINUSE {
                // Taken between the check and the start.
                throw Self.portInUse(configuration.host, configuration.port)
            }
        }

        /// Binds the address the way the server will (`SO_REUSEADDR`) and lets it go again.
        private static func checkPortIsFree(host: String, port: Int) async throws {
            do {
                let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .bind(host: host, port: port).get()
                try await channel.close()
            } catch let error as IOError where error.errnoCode == EADDRINUSE {
                throw portInUse(host, port)
            }
        }

        private static func portInUse(_ host: String, _ port: Int) -> ConfigurationError {
            ConfigurationError(variable: "PORT", problem: "\(port) is already in use on \(host)")
        }
    }

    struct Migrate: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(abstract: "Apply pending migrations and exit.")
        }

        func run() async throws {
            let configuration = try ServiceCommand.loadConfiguration()
            let logger = ServiceCommand.bootstrapLogging(configuration)
            try await ServiceAssembly.checkDatabase(configuration.database, migrating: true, logger: logger, attempts: 5)
            let database = Database(configuration.database, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await database.run() }
                defer { group.cancelAll() }
                try await ServiceAssembly.migrate(S.allMigrations, database: database, logger: logger, attempts: 5)
            }
        }
    }

    struct Jobs: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(abstract: "The service's scheduled jobs.", subcommands: [Run.self, List.self])
        }

        struct List: AsyncParsableCommand {
            static var configuration: CommandConfiguration { CommandConfiguration(abstract: "List the jobs and their schedules.") }

            func run() async throws {
                let configuration = try ServiceCommand.loadConfiguration()
                let runtime = ServiceAssembly.makeRuntime(S.self, configuration: configuration, logger: Logger(label: S.name))
                for job in try S(runtime: runtime).jobs() { print("\(job.name)\t\(job.schedule) (UTC)") }
            }
        }

        struct Run: AsyncParsableCommand {
            static var configuration: CommandConfiguration {
                CommandConfiguration(
                    abstract: "Run one job now (migrating first), print what it did as JSON, and exit; the log goes to standard error.")
            }

            @Argument(help: "The job's name.") var name: String
            @Flag(help: "Report what the job would do; change nothing.") var dryRun = false

            func run() async throws {
                let configuration = try ServiceCommand.loadConfiguration()
                // Standard output is the result alone: `jobs run … | jq` works.
                let logger = ServiceCommand.bootstrapLogging(configuration, toStandardError: true)
                let runtime = ServiceAssembly.makeRuntime(S.self, configuration: configuration, logger: logger)
                let jobs = try S(runtime: runtime).jobs()
                guard let job = jobs.first(where: { $0.name == name }) else {
                    throw ValidationError("no job named \(name); jobs: \(jobs.map(\.name).joined(separator: ", "))")
                }
                let result = try await withThrowingTaskGroup(of: JobRunner.RunResult?.self) { group in
                    group.addTask {
                        await runtime.database.run()
                        return nil
                    }
                    defer { group.cancelAll() }
                    try await ServiceAssembly.migrate(S.allMigrations, database: runtime.database, logger: logger, attempts: 5)
                    let result = try await JobRunner(runtime: runtime).run(job, dryRun: dryRun)
                    // This process has no relay: wake the running service's to publish what the job wrote.
                    if !dryRun { try? await runtime.outbox.notifyRelays(runtime.database) }
                    return result
                }
                runtime.redis.shutdown()
                switch result {
                case .succeeded(let outcome):
                    print(try JSONCoding.string(outcome))
                default:
                    print(#"{"skipped":"another instance is running this job"}"#)
                }
            }
        }
    }

    /// Reads the environment; a `ConfigurationError` says what is wrong (see `run()`).
    static func loadConfiguration() throws -> ServiceConfiguration {
        try ServiceConfiguration(service: S.name, defaultPort: S.defaultPort)
    }

    /// Logs to standard output, or to standard error for a command whose result is its output;
    /// a traced service's lines carry the span's `traceId` and `spanId`.
    static func bootstrapLogging(_ configuration: ServiceConfiguration, toStandardError: Bool = false, traced: Bool = false) -> Logger {
        let level = configuration.logLevel
        let service = configuration.service
        let provider = traced ? TraceExport.logMetadata : nil
        switch configuration.logFormat {
        case .json:
            let output = toStandardError ? STDERR_FILENO : STDOUT_FILENO
            LoggingSystem.bootstrap(
                { _, provider in JSONLogHandler(service: service, logLevel: level, output: output, metadataProvider: provider) },
                metadataProvider: provider)
        case .text:
            LoggingSystem.bootstrap(
                { label, provider in
                    var handler =
                        toStandardError
                        ? StreamLogHandler.standardError(label: label, metadataProvider: provider)
                        : StreamLogHandler.standardOutput(label: label, metadataProvider: provider)
                    handler.logLevel = level
                    return handler
                }, metadataProvider: provider)
        }
        return Logger(label: service)
    }
}
