import Contracts
import Foundation
import TestSupport
import Testing

/// The logs an operator joins up: the gateway's JSON access line and a context's line share the
/// request id (and the caller's trace id); values keep their JSON types; a job run's result is
/// alone on standard output.
@Suite(.needsStack) struct LogsTests {
    /// Every line of `text` as a JSON object.
    static func objects(_ text: String) throws -> [[String: JSONValue]] {
        try text.split(separator: "\n").map { try JSONDecoder().decode([String: JSONValue].self, from: Data($0.utf8)) }
    }

    static func isNumber(_ value: JSONValue?) -> Bool {
        switch value {
        case .int, .double: true
        default: false
        }
    }

    @Test func theGatewaysAccessLineCarriesTheRequestIdTraceIdContextAndTypedFigures() async throws {
        let path = try #require(ProcessInfo.processInfo.environment["GATEWAY_ACCESS_LOG"], "scripts/test exports the gateway's access log")
        let requestId = "logs-\(UUID().uuidString.prefix(8))"
        let traceId = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let user = TestEnvironment.uniqueUser()
        let answer = try await gateway.get(
            "/loyalty", as: user, headers: [.requestId: requestId, .init("traceparent")!: "00-\(traceId)-00f067aa0ba902b7-01"])
        #expect(answer.status == .ok)
        #expect(answer.headers[.requestId] == requestId, "the context kept the gateway's request id")

        var line: [String: JSONValue]?
        let deadline = ContinuousClock.now + .seconds(5)
        while line == nil, ContinuousClock.now < deadline {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            line = try Self.objects(String(text.split(separator: "\n").filter { $0.contains(requestId) }.joined(separator: "\n"))).first
            if line == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let access = try #require(line)
        #expect(access["service"] == "gateway")
        #expect(access["requestId"] == .string(requestId))
        #expect(access["traceId"] == .string(traceId))
        #expect(access["method"] == "GET")
        #expect(access["path"] == "/v1/customers/loyalty")
        #expect(access["status"] == .int(200))
        #expect(access["context"] == "loyalty")
        #expect(Self.isNumber(access["durationSeconds"]), "\(access)")
    }

    @Test func aJobRunPrintsItsResultAloneOnStandardOutputAndLogsTypedJSONToStandardError() async throws {
        let run = try await runCapturingOutput(
            TestEnvironment.binDirectory + "/loyalty", ["jobs", "run", "expire-loyalty-points", "--dry-run"],
            environment: [
                "DATABASE_URL": TestEnvironment.databaseURL, "DATABASE_SCHEMA": "loyalty", "REDIS_URL": TestEnvironment.redisURL,
                "JWT_SECRET": TestEnvironment.jwtSecret, "LOG_LEVEL": "info", "LOG_FORMAT": "json",
            ])
        #expect(run.status == 0, "\(run.stderr)")
        let result = try #require(try Self.objects(run.stdout).first)
        #expect(try Self.objects(run.stdout).count == 1, "one line: \(run.stdout)")
        guard case .object(let printed) = result["counts"] else {
            Issue.record("the result holds its counts: \(run.stdout)")
            return
        }
        #expect(Self.isNumber(printed["accounts"]) && Self.isNumber(printed["points"]), "\(run.stdout)")
        let log = try Self.objects(run.stderr)
        #expect(log.allSatisfy { $0["service"] == "loyalty" && $0["level"] != nil })
        let started = try #require(log.first { $0["message"] == "job started" })
        #expect(started["dryRun"] == .bool(true))
        let finished = try #require(log.first { $0["message"] == "job finished" })
        guard case .object(let counts) = finished["counts"] else {
            Issue.record("the finished line's counts are a JSON object: \(run.stderr)")
            return
        }
        #expect(Self.isNumber(counts["accounts"]) && Self.isNumber(counts["points"]), "\(counts)")
    }
}
