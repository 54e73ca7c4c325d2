import AsyncHTTPClient
import Foundation
import HTTPKit
import NIOHTTP1
import Testing
import TestSupport

/// `scripts/stack up` restarts a context that crashed: after `kill -9`, whether or not the
/// dead process has been reaped yet, `up` starts it again at once instead of waiting for a
/// readiness that cannot come. Runs a stack of its own (the test run's binaries, its own
/// folder and ports), so the shared test stack is left alone.
@Suite struct StackRestartTests {
    static let repository = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test func upBringsBackAContextKilledWithSIGKILL() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stack-\(UUID().uuidString.prefix(8))").path
        var environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory(),
            "STACK_DIR": folder, "STACK_BIN_DIR": TestEnvironment.binDirectory, "LOG_LEVEL": "warning",
        ]
        for name in ["GATEWAY_PORT", "PG_PORT", "REDIS_PORT", "PROFILES_PORT", "ENGAGEMENT_PORT", "SUPPORT_PORT", "LOYALTY_PORT"] {
            environment[name] = String(try freePort())
        }
        let settings = environment
        @Sendable func stack(_ command: String) async throws -> (status: Int32, stderr: String) {
            try await runToCompletion("/bin/bash", [Self.repository + "/scripts/stack", command], environment: settings)
        }
        let loyaltyReady = "http://127.0.0.1:\(environment["LOYALTY_PORT"]!)/health/ready"
        do {
            let first = try await stack("up")
            try #require(first.status == 0, "\(first.stderr)")
            let killed = try #require(pid_t(String(contentsOfFile: folder + "/services/loyalty.pid", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(kill(killed, SIGKILL) == 0)
            #expect(try await eventually(timeout: .seconds(5)) { try await Self.status(of: loyaltyReady) != 200 })

            let started = ContinuousClock.now
            let second = try await stack("up")
            let took = ContinuousClock.now - started
            #expect(second.status == 0, "\(second.stderr)")
            print("scripts/stack up restarted loyalty in \(took)")
            #expect(took < .seconds(30))
            let restarted = try String(contentsOfFile: folder + "/services/loyalty.pid", encoding: .utf8)
            #expect(pid_t(restarted.trimmingCharacters(in: .whitespacesAndNewlines)) != killed)
            #expect(try await Self.status(of: loyaltyReady) == 200)
            #expect(try await stack("status").status == 0)
        } catch {
            _ = try? await stack("down")
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
        #expect(try await stack("down").status == 0)
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The HTTP status of a GET, or nil when nothing answers.
    static func status(of url: String) async throws -> Int? {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)) else { return nil }
        _ = try? await response.body.collect(upTo: 1 << 16)
        return Int(response.status.code)
    }
}
