import Foundation
import Synchronization

/// A PostgreSQL cluster of a test's own, which the test may stop and start again under a
/// running service (the shared test cluster must stay up for every other test). Runs as
/// the `postgres` OS user, on a free loopback port, with trust authentication.
public final class TestPostgres: Sendable {
    public let directory: String
    public let port: Int
    private let server = Mutex<ChildProcess?>(nil)

    public var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    /// A new cluster (initdb), started.
    public static func start() async throws -> TestPostgres {
        let postgres = try await TestPostgres()
        try await postgres.start()
        return postgres
    }

    private init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("test-pg-\(UUID().uuidString.prefix(8))").path
        port = try freePort()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.ownerAccountName: "postgres", .groupOwnerAccountName: "postgres"], ofItemAtPath: directory)
        let (status, stderr) = try await runToCompletion(
            "/usr/bin/setpriv",
            Self.asPostgres + [
                Self.binary("initdb"), "-D", directory + "/data", "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8",
            ], environment: ["PATH": "/usr/bin:/bin"])
        guard status == 0 else { throw TestFailure("initdb failed: \(stderr)") }
    }

    /// Starts the server (again) on the same port, and waits until it listens.
    public func start() async throws {
        // setpriv execs postgres, so the pid we signal is the postmaster's.
        let child = try ChildProcess(
            executable: "/usr/bin/setpriv",
            arguments: Self.asPostgres + [
                Self.binary("postgres"), "-D", directory + "/data", "-c", "listen_addresses=127.0.0.1", "-c", "port=\(port)",
                "-c", "unix_socket_directories=\(directory)", "-c", "fsync=off",
            ], port: port)
        server.withLock { $0 = child }
        try await child.waitForListener()
    }

    /// A fast shutdown (SIGINT): open connections are ended, as when an operator stops it.
    public func stop() async {
        guard let child = server.withLock({ $0.take() }) else { return }
        await onAThreadOfItsOwn { child.stop(signal: SIGINT) }
    }

    /// Stops the server and deletes the cluster.
    public func remove() async {
        await stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static let asPostgres = ["--reuid=postgres", "--regid=postgres", "--init-groups", "--"]

    private static func binary(_ name: String) -> String {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        let newest = versions.compactMap(Int.init).max().map(String.init) ?? "15"
        return "/usr/lib/postgresql/\(newest)/bin/\(name)"
    }
}
