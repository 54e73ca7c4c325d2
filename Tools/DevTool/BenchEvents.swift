import ArgumentParser
import Contracts
import EventBus
import Logging
import ServiceLifecycle
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `lw-dev bench-events`: outbox → Kafka → inbox throughput and latency, with a database
/// effect per event (bench/eventbus.sh runs it; docs/performance.md has the results).
struct BenchEvents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-events",
        abstract: "Measure event-bus throughput and commit-to-commit latency.")

    @Option(help: "A PostgreSQL URL allowed to create a schema.") var databaseURL: String
    @Option(help: "Events for the throughput run.") var events = 50_000
    @Option(help: "Concurrent writers in the throughput run.") var writers = 4
    @Option(help: "Events per writer transaction in the throughput run.") var batch = 50
    @Option(help: "Events per second in the latency run.") var rate = 500
    @Option(help: "Seconds of the latency run.") var seconds = 20
    @Option(help: "Partitions of the benchmark topic.") var partitions: Int32 = 6
    @Flag(help: "Apply each event with a statement of its own (a plain `on` handler), not each run in one (`onBatch`).")
    var perEvent = false
    @Option(name: .customLong("property"), help: "A librdkafka property for producer and consumer, name=value (repeatable).") var properties:
        [String] = []

    struct Tick: EventPayload { let n: Int }

    func run() async throws {
        let logger = {
            var logger = Logger(label: "bench")
            logger.logLevel = .error
            return logger
        }()
        let cluster = try MockKafkaCluster(partitions: partitions)
        defer { cluster.shutdown() }
        let topic = Topic<Tick>("bench.events")
        try cluster.createTopic(topic.name, partitions: partitions)
        try cluster.createTopic(topic.deadLetterTopic, partitions: 1)

        let schema = "bench_\(UUID().uuidString.prefix(8).lowercased())"
        let database = Database(try DatabaseConfiguration(url: databaseURL, schema: schema, maxConnections: 16), logger: logger)
        var kafka = KafkaConfiguration(brokers: cluster.bootstrapServers, clientId: "bench", groupId: "bench")
        for property in properties {
            let parts = property.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--property takes name=value") }
            kafka.properties[parts[0]] = parts[1]
        }
        let outbox = Outbox(source: "bench", schema: schema)
        var handlers = EventHandlers()
        if perEvent {
            handlers.on(topic) { event, connection in
                try await connection.query("INSERT INTO effects (event_id, n) VALUES (\(event.id), \(event.payload.n))", logger: logger)
            }
        } else {
            handlers.onBatch(topic) { events, connection in
                try await connection.query(
                    "INSERT INTO effects (event_id, n) SELECT * FROM unnest(\(events.map(\.id))::uuid[], \(events.map(\.payload.n))::int8[])",
                    logger: logger)
            }
        }
        let producer = try KafkaProducer(kafka, logger: logger)
        let relay = OutboxRelay(database: database, producer: producer, outbox: outbox, logger: logger)
        let consumer = EventConsumer(configuration: kafka, handlers: handlers, database: database, producer: producer, logger: logger)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.run() }
            _ = try await MigrationRunner(
                database: database,
                migrations: [
                    Migration(
                        1, "effects",
                        "CREATE TABLE effects (event_id uuid PRIMARY KEY, n int NOT NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())")
                ] + EventBusMigrations.all, logger: logger
            ).run()

            let services = ServiceGroup(configuration: .init(services: [producer, relay, consumer], gracefulShutdownSignals: [], logger: logger))
            group.addTask { try await services.run() }

            // Warm-up: the consumer joins its group.
            try await write(database, outbox, topic, count: 1, batch: 1, writers: 1, logger: logger)
            try await waitForEffects(database, 1)
            try await database.query("TRUNCATE effects")

            print("throughput: \(events) events, \(writers) writers, \(batch) events per transaction, \(partitions) partitions")
            let started = ContinuousClock.now
            try await write(database, outbox, topic, count: events, batch: batch, writers: writers, logger: logger)
            let written = ContinuousClock.now - started
            try await waitForEffects(database, events)
            let elapsed = ContinuousClock.now - started
            print(String(format: "  written in %.2f s (%.0f events/s)", written.seconds, Double(events) / written.seconds))
            print(String(format: "  applied by the consumer in %.2f s: %.0f events/s end to end", elapsed.seconds, Double(events) / elapsed.seconds))

            try await database.query("TRUNCATE effects")
            print("latency: \(rate) events/s for \(seconds) s, one event per transaction")
            let total = rate * seconds
            let latencyStart = ContinuousClock.now
            for i in 0..<total {
                try await Task.sleep(until: latencyStart + .seconds(Double(i) / Double(rate)), clock: .continuous)
                try await write(database, outbox, topic, count: 1, batch: 1, writers: 1, logger: logger)
            }
            try await waitForEffects(database, total)
            let rows = try await database.query(
                """
                SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), max(ms)
                FROM (SELECT (EXTRACT(EPOCH FROM e.applied_at - o.created_at) * 1000)::float8 AS ms
                      FROM effects e JOIN outbox o ON o.id = e.event_id) latencies
                """)
            for try await (p50, p99, max) in rows.decode((Double, Double, Double).self) {
                print(String(format: "  commit to consumer commit: p50 %.2f ms, p99 %.2f ms, max %.2f ms", p50, p99, max))
            }
            await services.triggerGracefulShutdown()
            try await database.query("DROP SCHEMA \(unescaped: schema) CASCADE")
            group.cancelAll()
        }
    }

    func write(_ database: Database, _ outbox: Outbox, _ topic: Topic<Tick>, count: Int, batch: Int, writers: Int, logger: Logger) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var n = writer * batch
                    while n < count {
                        let upper = min(n + batch, count)
                        let range = n..<upper
                        try await database.transaction { connection in
                            for i in range {
                                try await outbox.enqueue(
                                    topic, userId: "user-\(i % 1000)", payload: Tick(n: i), correlationId: nil, on: connection, logger: logger)
                            }
                        }
                        n += writers * batch
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    func waitForEffects(_ database: Database, _ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline {
            for try await applied in try await database.query("SELECT count(*)::int FROM effects").decode(Int.self) where applied >= count {
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ValidationError("timed out waiting for \(count) effects")
    }
}
