import Foundation
import TestSupport
import Testing

/// `scripts/stack`'s commands for a developer, on a stack folder of the test's own (nothing of
/// the running test stack is touched).
@Suite(.needsStack) struct StackCommandsTests {
    static func stack(_ arguments: [String], folder: String) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await runCapturingOutput(
            "/bin/bash", [repositoryRoot + "/scripts/stack"] + arguments,
            environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "STACK_DIR": folder])
    }

    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stack-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path + "/services", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path + "/services/loyalty.log", contents: Data("one\ntwo\n".utf8))
        return path
    }

    @Test func logsRefusesAnUnknownNameAtOnceNamingTheLogsThereAre() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let started = ContinuousClock.now
        let run = try await Self.stack(["logs", "nosuch"], folder: folder)
        #expect(run.status != 0)
        #expect(run.stderr.contains("no log named nosuch; logs: loyalty"), "\(run.stderr)")
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(try await Self.stack(["logs", "-n", "lots"], folder: folder).stderr.contains("-n takes a number of lines"))
    }

    @Test func envForAContextNamesItsOwnRoleAndSchema() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try await Self.stack(["env", "loyalty"], folder: folder)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("export DATABASE_URL=postgres://loyalty:"), "\(run.stdout)")
        #expect(run.stdout.contains("export DATABASE_SCHEMA=loyalty"))
        let superuser = try await Self.stack(["env"], folder: folder)
        #expect(superuser.stdout.contains("export DATABASE_URL=postgres://postgres:"))
        #expect(try await Self.stack(["env", "nosuch"], folder: folder).status != 0)
    }
}
