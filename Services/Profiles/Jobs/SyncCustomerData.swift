import Contracts
import EventBus
import PostgresNIO
import ServiceKit
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `sync-customer-data` (every 6 hours): reconciles with the auth-service. It replays
/// `auth.user.created` from the earliest retained offset with a consumer group of its own
/// and creates the profiles that are missing (a consumer outage longer than retention, or
/// events dead-lettered meanwhile), then republishes `customer.profile.updated` for the
/// profiles changed since the last successful run, so projections elsewhere converge.
enum SyncCustomerData {
    /// The replay stops after this long without a message…
    static let idleTimeout = Duration.seconds(3)
    /// …or, before the first one (joining a group takes a few seconds), after this long.
    static let joinTimeout = Duration.seconds(30)

    static func job(runtime: Runtime) -> Job {
        Job("sync-customer-data", schedule: "0 */6 * * *") { context in
            var outcome = JobOutcome()
            if let kafka = context.runtime.configuration.kafka {
                let (seen, created) = try await replayUserCreated(kafka, context: context)
                outcome.counts["usersSeen"] = seen
                outcome.counts[context.dryRun ? "wouldCreate" : "profilesCreated"] = created
            } else {
                outcome.details.append("KAFKA_BROKERS is not set: nothing to replay")
            }
            let republished = try await republishRecent(context: context)
            outcome.counts[context.dryRun ? "wouldRepublish" : "republished"] = republished
            return outcome
        }
    }

    private static func replayUserCreated(_ kafka: KafkaConfiguration, context: JobContext) async throws -> (Int, Int) {
        var configuration = kafka
        configuration.groupId = "\(kafka.groupId)-sync-\(context.runId.lowercasedString.prefix(8))"
        let consumer = try KafkaConsumer(configuration, topics: [Topics.userCreated.name], logger: context.runtime.logger)
        let started = ContinuousClock.now
        let lastMessage = Mutex<ContinuousClock.Instant?>(nil)
        let watchdog = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                let idle = lastMessage.withLock { $0 }.map { ContinuousClock.now - $0 > idleTimeout } ?? (ContinuousClock.now - started > joinTimeout)
                if idle { consumer.stopPolling() }
            }
        }
        defer { watchdog.cancel() }
        var seen = 0
        var created = 0
        do {
            for await batch in consumer.batches {
                lastMessage.withLock { $0 = ContinuousClock.now }
                try await apply(batch)
                consumer.done(batch)
                // Idle time counts while waiting for messages, not while applying them.
                lastMessage.withLock { $0 = ContinuousClock.now }
            }
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
        return (seen, created)

        func apply(_ batch: [KafkaMessage]) async throws {
            for message in batch {
                guard let event = try? JSONCoding.decoder.decode(EventEnvelope<UserCreated>.self, from: Data(message.value)) else { continue }
                seen += 1
                if context.dryRun {
                    let exists = try await context.runtime.database.query(
                        "SELECT EXISTS (SELECT 1 FROM profiles WHERE user_id = \(event.payload.userId))"
                    ).value(Bool.self)
                    if exists == false { created += 1 }
                } else {
                    let runtime = context.runtime
                    let made = try await runtime.database.transaction { connection in
                        try await ProfileStore.createIfMissing(
                            event.payload, correlationId: event.id.lowercasedString, runtime: runtime, on: connection)
                    }
                    if made { created += 1 }
                }
            }
        }
    }

    private static func republishRecent(context: JobContext) async throws -> Int {
        let runtime = context.runtime
        // Since the last successful run (or the last 7 hours): the schedule's period and a margin.
        let lastRun =
            try await runtime.database.query(
                """
                SELECT max(started_at) FROM job_runs WHERE job = 'sync-customer-data' AND outcome = 'succeeded' AND NOT dry_run
                """
            ).value(Date?.self) ?? nil
        let since = lastRun?.addingTimeInterval(-3600) ?? context.now.addingTimeInterval(-7 * 3600)
        let users = try await runtime.database.query(
            """
            SELECT user_id FROM profiles WHERE updated_at >= \(since) AND anonymized_at IS NULL ORDER BY user_id
            """
        ).values(String.self)
        guard !context.dryRun else { return users.count }
        var republished = 0
        for chunk in stride(from: 0, to: users.count, by: 500).map({ Array(users[$0..<min($0 + 500, users.count)]) }) {
            // The current row, locked, and only while it is not anonymised: a republished
            // event never carries an older state, or personal data erased meanwhile.
            republished += try await runtime.database.transaction { connection in
                let profiles = try await ProfileStore.all(
                    connection.query(
                        """
                        SELECT \(unescaped: ProfileStore.columns) FROM profiles
                        WHERE user_id = ANY(\(chunk)) AND anonymized_at IS NULL FOR UPDATE
                        """, logger: runtime.logger))
                for profile in profiles {
                    try await ProfileStore.publish(
                        profile, action: .updated, changed: ProfileFields.all, runtime: runtime,
                        correlationId: context.runId.lowercasedString, on: connection)
                }
                return profiles.count
            }
        }
        return republished
    }
}
