import EventBus
import Logging
import PostgresNIO
import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Runs a job at most once at a time across replicas (a session advisory lock held on a
/// connection of its own for the whole run) and records every run in `job_runs`.
public struct JobRunner: Sendable {
    public enum RunResult: Sendable, Equatable {
        case succeeded(JobOutcome)
        /// Another replica holds the job's lock.
        case skipped
    }

    let runtime: Runtime

    public init(runtime: Runtime) {
        self.runtime = runtime
    }

    public func run(_ job: Job, dryRun: Bool = false, now: Date = Date()) async throws -> RunResult {
        let database = runtime.database
        let logger = runtime.logger
        let lockKey = "\(database.schema).job.\(job.name)"
        return try await database.withConnection { connection in
            let acquired = try await connection.query("SELECT pg_try_advisory_lock(hashtext(\(lockKey)))", logger: logger).value(Bool.self)
            guard acquired == true else {
                logger.info("job skipped: another instance runs it", metadata: ["job": "\(job.name)"])
                return .skipped
            }
            let result: Swift.Result<RunResult, any Error>
            do {
                result = .success(try await record(job, dryRun: dryRun, now: now, connection: connection))
            } catch {
                result = .failure(error)
            }
            // Unlock before the connection returns to the pool.
            _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(\(lockKey)))", logger: logger)
            return try result.get()
        }
    }

    private func record(_ job: Job, dryRun: Bool, now: Date, connection: PostgresConnection) async throws -> RunResult {
        let logger = runtime.logger
        let runId = UUID()
        try await connection.query(
            """
            INSERT INTO job_runs (id, job, started_at, outcome, dry_run) VALUES (\(runId), \(job.name), now(), 'running', \(dryRun))
            """, logger: logger)
        logger.info("job started", metadata: ["job": "\(job.name)", "dryRun": .stringConvertible(dryRun)])
        do {
            let outcome = try await job.run(JobContext(runtime: runtime, dryRun: dryRun, now: now, runId: runId))
            // Keys sorted, so that a run's log line and its row read the same from run to run.
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let counts = String(decoding: try encoder.encode(outcome.counts), as: UTF8.self)
            try await connection.query(
                """
                UPDATE job_runs SET finished_at = now(), outcome = 'succeeded', counts = \(counts)::jsonb WHERE id = \(runId)
                """, logger: logger)
            logger.info("job finished", metadata: ["job": "\(job.name)", "counts": .dictionary(outcome.counts.mapValues { .stringConvertible($0) })])
            return .succeeded(outcome)
        } catch {
            _ = try? await connection.query(
                """
                UPDATE job_runs SET finished_at = now(), outcome = 'failed', error = \(String(describing: error)) WHERE id = \(runId)
                """, logger: logger)
            logger.error("job failed", metadata: ["job": "\(job.name)", "error": "\(error)"])
            throw error
        }
    }
}

/// Runs each job at its cron times (UTC) until graceful shutdown.
public struct JobScheduler: Service {
    let jobs: [Job]
    let runner: JobRunner
    let ready: Latch
    let logger: Logger

    public init(jobs: [Job], runtime: Runtime, ready: Latch) {
        self.jobs = jobs
        self.runner = JobRunner(runtime: runtime)
        self.ready = ready
        self.logger = runtime.logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await ready.wait() }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for job in jobs {
                    group.addTask { await loop(job) }
                }
            }
        }
    }

    private func loop(_ job: Job) async {
        while !Task.isCancelled {
            let next = job.schedule.next(after: Date())
            logger.debug("job scheduled", metadata: ["job": "\(job.name)", "at": "\(next)"])
            do {
                try await Task.sleep(for: .seconds(max(0, next.timeIntervalSinceNow)))
            } catch {
                return
            }
            _ = try? await runner.run(job)
        }
    }
}
