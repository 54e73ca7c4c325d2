import Auth
import Foundation
import HTTPKit
import PostgresNIO
import TestSupport

/// The checkout these tests run from (for its scripts and files).
let repositoryRoot = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The stack's gateway, at `/v1/customers`.
let gateway = API.gateway()
/// The gateway's own paths (`/health`, `/metrics/<context>`, `/docs`).
let gatewayRoot = API.gateway(prefix: "")

/// Makes `user` look inactive for 3 days in profiles (their profile and the given projections
/// of profiles' schema, by their time column), then runs the stack's `anonymize-inactive-users`
/// from the command line with `GDPR_INACTIVITY_DAYS=1`. Every profile in the test stack is
/// minutes old, so only customers aged this way are candidates.
func runAnonymisationJob(afterAging user: String, projections: [(table: String, column: String)]) async throws -> (Int32, String) {
    try await withDatabase(schema: "profiles") { database in
        try await database.query("UPDATE profiles SET updated_at = now() - interval '3 days' WHERE user_id = \(user)")
        for (table, column) in projections {
            try await database.query(
                PostgresQuery(
                    unsafeSQL: "UPDATE \(table) SET \(column) = now() - interval '3 days' WHERE user_id = $1", binds: bindings(user)))
        }
    }
    return try await runToCompletion(
        TestEnvironment.binDirectory + "/profiles", ["jobs", "run", "anonymize-inactive-users"],
        environment: [
            "DATABASE_URL": TestEnvironment.databaseURL, "DATABASE_SCHEMA": "profiles", "REDIS_URL": TestEnvironment.redisURL,
            "JWT_SECRET": TestEnvironment.jwtSecret, "GDPR_INACTIVITY_DAYS": "1", "LOG_LEVEL": "error",
        ])
}

private func bindings(_ value: String) -> PostgresBindings {
    var binds = PostgresBindings()
    binds.append(value)
    return binds
}
