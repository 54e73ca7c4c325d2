import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A scheduled job of a context (ARCHITECTURE §10).
public struct Job: Sendable {
    public let name: String
    public let schedule: CronSchedule
    public let run: @Sendable (JobContext) async throws -> JobOutcome

    public init(_ name: String, schedule: String, run: @escaping @Sendable (JobContext) async throws -> JobOutcome) {
        self.name = name
        // Schedules are constants in code; a bad one is a programming error.
        self.schedule = try! CronSchedule(schedule)
        self.run = run
    }
}

public struct JobContext: Sendable {
    public let runtime: Runtime
    /// Report what would be done, change nothing.
    public let dryRun: Bool
    public let now: Date
    public let runId: UUID
}

/// What a run did, recorded in `job_runs.counts` and printed by `jobs run`.
public struct JobOutcome: Sendable, Codable, Equatable {
    public var counts: [String: Int]
    public var details: [String]

    public init(counts: [String: Int] = [:], details: [String] = []) {
        self.counts = counts
        self.details = details
    }
}

/// The `job_runs` table every context with jobs gets.
public enum JobMigrations {
    public static let all = [
        Migration(
            100_101, "job runs",
            """
            CREATE TABLE job_runs (
                id          uuid        PRIMARY KEY,
                job         text        NOT NULL,
                started_at  timestamptz NOT NULL,
                finished_at timestamptz,
                outcome     text        NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed', 'skipped')),
                dry_run     boolean     NOT NULL DEFAULT false,
                counts      jsonb,
                error       text
            )
            """, "CREATE INDEX job_runs_job_started ON job_runs (job, started_at DESC)")
    ]
}
