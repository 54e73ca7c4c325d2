import PostgresNIO
import ServiceKit

/// `rebuild-customer-index` (daily 04:00 UTC): rebuilds the admin search index from the
/// profiles and their primary addresses.
enum RebuildCustomerIndex {
    static func job(runtime: Runtime) -> Job {
        Job("rebuild-customer-index", schedule: "0 4 * * *") { context in
            guard !context.dryRun else {
                let profiles =
                    try await context.runtime.database.query(
                        "SELECT count(*)::int FROM profiles WHERE anonymized_at IS NULL"
                    ).value(Int.self) ?? 0
                return JobOutcome(counts: ["wouldIndex": profiles])
            }
            return JobOutcome(counts: ["indexed": try await CustomerIndex.rebuild(context.runtime.database, logger: context.runtime.logger)])
        }
    }
}
