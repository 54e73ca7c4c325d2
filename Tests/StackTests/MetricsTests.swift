import Contracts
import Foundation
import TestSupport
import Testing

/// CONTRACT §11 on the running stack: every context's `/metrics`, after requests and events,
/// names every documented metric with `# HELP` and `# TYPE`, and the ones they should move did.
/// In-process tests cannot show this: their one process bootstraps metrics before any service
/// is made, where a server made its event metrics' handles too early and lost them.
@Suite(.needsStack) struct MetricsTests {
    static let documented = [
        "http_requests_total", "http_request_duration_seconds", "events_published_total", "events_consumed_total",
        "events_duplicate_total", "events_dead_lettered_total", "event_handler_duration_seconds", "outbox_lag_seconds",
        "db_pool_connections", "service_ready", "build_info", "process_resident_memory_bytes", "process_cpu_seconds_total",
        "process_open_fds", "process_start_time_seconds",
    ]

    /// One scrape: the text, and each sample by its series (`name{labels}`).
    struct Scrape: CustomStringConvertible {
        let text: String
        let samples: [String: Double]

        init(_ text: String) {
            self.text = text
            var samples: [String: Double] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
                samples[String(line[..<space])] = value
            }
            self.samples = samples
        }

        /// Short, for a failed expectation: the whole text runs to thousands of lines.
        var description: String { "a scrape of \(samples.count) samples" }

        /// The sum of the samples of `series`: a name, or a name with some of its labels.
        func total(_ name: String, _ labels: String = "") -> Double {
            samples.filter { series, _ in
                (series == name || series.hasPrefix(name + "{")) && (labels.isEmpty || series.contains(labels))
            }.values.reduce(0, +)
        }

        func has(_ name: String, _ labels: String = "") -> Bool {
            samples.keys.contains { ($0 == name || $0.hasPrefix(name + "{")) && (labels.isEmpty || $0.contains(labels)) }
        }
    }

    static func scrape(_ context: String) async throws -> Scrape {
        let answer = try await gatewayRoot.get("/metrics/\(context)", as: nil)
        #expect(answer.status == .ok)
        return Scrape(answer.text)
    }

    static let contexts = ["profiles", "engagement", "support", "loyalty"]
    static let profileTopic = #"topic="customer.profile.updated""#
    static let wishlistTopic = #"topic="customer.wishlist.updated""#

    /// The consumers of customer.profile.updated (engagement, loyalty) counted the duplicate and the dead letter, and
    /// profiles applied the wishlist change.
    static func eventsMoved(from before: [String: Scrape], to after: [String: Scrape]) -> Bool {
        func grew(_ context: String, _ name: String, _ labels: String) -> Bool {
            guard let now = after[context], let then = before[context] else { return false }
            return now.total(name, labels) > then.total(name, labels)
        }
        return ["engagement", "loyalty"].allSatisfy {
            grew($0, "events_duplicate_total", profileTopic) && grew($0, "events_dead_lettered_total", profileTopic)
                && grew($0, "events_consumed_total", profileTopic)
        } && grew("profiles", "events_consumed_total", wishlistTopic) && grew("engagement", "events_published_total", wishlistTopic)
    }

    @Test func everyContextExposesEveryDocumentedMetricAndTheEventMetricsMove() async throws {
        var before: [String: Scrape] = [:]
        for context in Self.contexts { before[context] = try await Self.scrape(context) }

        // A request per context, and an event each way: engagement publishes the wishlist
        // change, profiles consumes it.
        let user = TestEnvironment.uniqueUser()
        #expect(try await gateway.post("/wishlist/items", as: user, body: ["productId": "metrics-oak", "category": "KITCHEN"]).status == .created)
        for path in ["/profile", "/support/tickets", "/loyalty"] { _ = try await gateway.get(path, as: user) }
        // A name sent twice (engagement and loyalty count the second as a duplicate) and
        // a message that is not an envelope (each of them dead-letters it).
        let publisher = try TestPublisher(brokers: TestEnvironment.kafkaBrokers)
        let name = ProfileUpdated(
            userId: user, action: .updated, changedFields: ["firstName"], firstName: "Ada", lastName: "Lovelace", email: nil, phone: nil)
        try await publisher.publish(Topics.profileUpdated, name, userId: user, source: "profiles", times: 2)
        try await publisher.publishRaw("not an envelope", to: Topics.profileUpdated.name, key: user)
        await publisher.shutdown()

        var after: [String: Scrape] = [:]
        let deadline = ContinuousClock.now + .seconds(15)
        repeat {
            for context in Self.contexts { after[context] = try await Self.scrape(context) }
            if Self.eventsMoved(from: before, to: after) { break }
            try await Task.sleep(for: .milliseconds(200))
        } while ContinuousClock.now < deadline
        #expect(Self.eventsMoved(from: before, to: after), "the duplicate, the dead letter and the wishlist event reached the counters")

        let version = try String(contentsOfFile: repositoryRoot + "/VERSION", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        for context in Self.contexts {
            let now = after[context]!
            let then = before[context]!
            for name in Self.documented {
                #expect(now.text.contains("\n# HELP \(name) ") || now.text.hasPrefix("# HELP \(name) "), "\(context): # HELP \(name)")
                #expect(now.text.contains("\n# TYPE \(name) ") || now.text.hasPrefix("# TYPE \(name) "), "\(context): # TYPE \(name)")
                #expect(now.has(name) || now.has(name + "_count"), "\(context): a sample of \(name)")
            }
            #expect(now.total("http_requests_total") > then.total("http_requests_total"), "\(context)")
            #expect(now.total("http_request_duration_seconds_count") > then.total("http_request_duration_seconds_count"), "\(context)")
            #expect(now.has("build_info", #"version="\#(version)""#), "\(context): build_info carries VERSION")
            #expect(now.total("build_info") == 1)
            #expect(now.total("service_ready") == 1)
            #expect(now.total("db_pool_connections", #"state="max""#) > 0)
            #expect(now.total("outbox_lag_seconds") >= 0)
            #expect(now.total("process_resident_memory_bytes") > 1_000_000)
            #expect(now.total("process_cpu_seconds_total") >= then.total("process_cpu_seconds_total"))
            #expect(now.total("process_cpu_seconds_total") > 0)
            #expect(now.total("process_open_fds") > 3)
            #expect(abs(now.total("process_start_time_seconds") - Date().timeIntervalSince1970) < 86_400)
        }
        // Every topic the context publishes is on its /metrics from the start.
        for (context, topics) in Topics.publishedBy {
            for topic in topics {
                #expect(after[context]!.has("events_published_total", #"topic="\#(topic)""#), "\(context) publishes \(topic)")
            }
        }
        #expect(
            after["profiles"]!.total("event_handler_duration_seconds_count", Self.wishlistTopic)
                > before["profiles"]!.total("event_handler_duration_seconds_count", Self.wishlistTopic))
    }

    /// `build_info` names the build: the repository's VERSION and the commit scripts/test built.
    @Test(arguments: contexts)
    func buildInfoNamesTheVersionAndCommit(context: String) async throws {
        let metrics = try await Self.scrape(context)
        let info = try #require(metrics.samples.keys.first { $0.hasPrefix("build_info{") })
        let version = try String(contentsOfFile: repositoryRoot + "/VERSION", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(info.firstMatch(of: /version="([^"]*)"/)?.1 == Substring(version))
        let commit = try #require(info.firstMatch(of: /commit="([^"]*)"/)?.1)
        #expect(commit.wholeMatch(of: /[0-9a-f]{7}(-dirty)?/) != nil, "commit \(commit)")
    }
}
