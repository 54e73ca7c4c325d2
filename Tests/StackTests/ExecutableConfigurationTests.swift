import Foundation
import PostgresNIO
import TestSupport
import Testing

/// The built executables (`LW_BIN_DIR`), started as an operator would start them: a mistake in
/// their configuration, or one the database or the port reveals, ends the process at once with
/// one line that names the variable and the cause.
@Suite(.needsStack) struct ExecutableConfigurationTests {
    /// Runs `<executable> serve` with `environment` and returns its exit status, its standard
    /// error's lines and how long it ran.
    static func serve(
        _ environment: [String: String], executable: String = "profiles"
    ) async throws -> (
        status: Int32, lines: [Substring], took: Duration
    ) {
        let started = ContinuousClock.now
        let (status, output) = try await runToCompletion(
            TestEnvironment.binDirectory + "/" + executable, ["serve"],
            environment: environment.merging(["PATH": "/usr/bin:/bin", "JOBS_ENABLED": "false", "LOG_LEVEL": "error"]) { $1 })
        return (status, output.split(separator: "\n"), ContinuousClock.now - started)
    }

    /// The test database's URL as `user`:`password`.
    static func databaseURL(user: String, password: String) throws -> String {
        var url = try #require(URLComponents(string: TestEnvironment.databaseURL))
        url.user = user
        url.password = password
        return try #require(url.string)
    }

    /// The built executables stop with one line naming the variable, and exit 1.
    @Test(arguments: [
        ("profiles", ["DATABASE_URL": "postgres://u:p@127.0.0.1:1/db"], "JWT_SECRET"),
        ("loyalty", ["DATABASE_URL": "not a url", "JWT_SECRET": "0123456789abcdef0123456789abcdef"], "DATABASE_URL"),
        (
            "support",
            ["DATABASE_URL": TestEnvironment.databaseURL, "JWT_SECRET": "0123456789abcdef0123456789abcdef", "SUPPORT_AUTO_CLOSE_DAYS": "0"],
            "SUPPORT_AUTO_CLOSE_DAYS"
        ),
    ])
    func executablesRefuseToStart(executable: String, environment: [String: String], variable: String) async throws {
        let run = try await Self.serve(environment.merging(["PORT": String(try freePort())]) { $1 }, executable: executable)
        #expect(run.status == 1)
        #expect(run.lines.count == 1, "\(run.lines)")
        #expect(run.lines.first?.hasPrefix("\(executable): configuration error: \(variable)") == true, "\(run.lines)")
    }

    @Test func aWrongDatabasePasswordStopsAtOnceWithPostgreSQLsReason() async throws {
        let run = try await Self.serve([
            "DATABASE_URL": try Self.databaseURL(user: "postgres", password: "wrong"), "JWT_SECRET": TestEnvironment.jwtSecret,
            "PORT": String(try freePort()),
        ])
        #expect(run.status == 1)
        #expect(
            run.lines.map(String.init) == [
                #"profiles: configuration error: DATABASE_URL was refused by PostgreSQL: 28P01 password authentication failed for user "postgres""#
            ],
            "\(run.lines)")
        #expect(run.took < .seconds(2))
    }

    @Test func aRoleWithoutRightsOnItsSchemaStopsAtOnceWithPostgreSQLsReason() async throws {
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let role = "norights_\(suffix)"
        let schema = "locked_\(suffix)"
        try await withDatabase(schema: "public") { database in
            try await database.query(PostgresQuery(unsafeSQL: "CREATE ROLE \(role) LOGIN PASSWORD 'pw-\(suffix)'"))
            try await database.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"))
            // It may connect (the test database admits only the roles it names), nothing more.
            try await database.query(
                PostgresQuery(unsafeSQL: "DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO \(role)', current_database()); END $$"))
        }
        let run = try await Self.serve([
            "DATABASE_URL": try Self.databaseURL(user: role, password: "pw-\(suffix)"), "DATABASE_SCHEMA": schema,
            "JWT_SECRET": TestEnvironment.jwtSecret, "PORT": String(try freePort()),
        ])
        #expect(run.status == 1)
        #expect(
            run.lines.map(String.init) == [
                #"profiles: configuration error: DATABASE_URL cannot migrate schema "\#(schema)" (its role needs USAGE and CREATE on it): "#
                    + "42501 permission denied for schema \(schema)"
            ], "\(run.lines)")
        #expect(run.took < .seconds(2))
    }

    /// Without migrations on start, a schema that was never migrated is named at once.
    @Test func anUnmigratedSchemaWithoutMigrationsOnStartStopsAtOnce() async throws {
        let schema = "unmigrated_\(UUID().uuidString.prefix(8).lowercased())"
        let run = try await Self.serve([
            "DATABASE_URL": TestEnvironment.databaseURL, "DATABASE_SCHEMA": schema, "MIGRATE_ON_START": "false",
            "JWT_SECRET": TestEnvironment.jwtSecret, "PORT": String(try freePort()),
        ])
        #expect(run.status == 1)
        #expect(
            run.lines.map(String.init) == [
                #"profiles: configuration error: DATABASE_SCHEMA "\#(schema)" is not migrated, or its role may not use it "#
                    + #"(MIGRATE_ON_START is false: run `migrate` first): 42P01 relation "schema_migrations" does not exist"#
            ], "\(run.lines)")
        #expect(run.took < .seconds(2))
    }

    /// Before the database is tried: nothing answers at DATABASE_URL, which would be waited for
    /// DATABASE_WAIT_SECONDS (30) were the port checked later.
    @Test func aPortInUseStopsAtOnceNamingPORT() async throws {
        let port = try freePort()
        let listener = try #require(LoopbackListener(port: port))
        defer { listener.close() }
        let run = try await Self.serve([
            "DATABASE_URL": "postgres://profiles:pw@127.0.0.1:\(try freePort())/db", "JWT_SECRET": TestEnvironment.jwtSecret,
            "PORT": String(port),
        ])
        #expect(run.status == 1)
        #expect(run.lines.map(String.init) == ["profiles: configuration error: PORT \(port) is already in use on 127.0.0.1"], "\(run.lines)")
        #expect(run.took < .seconds(2))
    }

    /// A database that never answers is waited for (it may be starting); the last line names its
    /// address and the last error.
    @Test func anUnreachableDatabaseIsWaitedForThenNamedWithTheLastError() async throws {
        let port = try freePort()
        let environment = [
            "DATABASE_URL": "postgres://loyalty:pw@127.0.0.1:\(port)/db", "JWT_SECRET": TestEnvironment.jwtSecret,
            "PORT": String(try freePort()), "DATABASE_WAIT_SECONDS": "2",
        ]
        let run = try await Self.serve(environment, executable: "loyalty")
        #expect(run.status == 1)
        let last = try #require(run.lines.last)
        #expect(last.hasPrefix("loyalty: configuration error: DATABASE_URL points at 127.0.0.1:\(port), which did not answer within"), "\(run.lines)")
        #expect(last.contains("onnection refused"), "\(last)")
    }
}
