import Foundation
import TestSupport
import Testing

/// The compose stack cannot run on this machine (no engine, no image registry), but its file is
/// checked as Docker Compose reads it: `docker-compose config` (Debian's) resolves the anchors,
/// the variables and the four build targets of the one Dockerfile.
@Suite struct ComposeFileTests {
    static let compose = repositoryRoot + "/compose"

    static func config(_ environment: [String: String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await runCapturingOutput(
            "/usr/bin/docker-compose", ["--project-directory", Self.compose, "-f", Self.compose + "/docker-compose.yml", "config"],
            environment: environment.merging(["PATH": "/usr/bin:/bin"]) { $1 })
    }

    @Test func dockerComposeAcceptsTheComposeFile() async throws {
        let run = try await Self.config(["JWT_SECRET": "a-secret-of-thirty-two-bytes-or-more"])
        #expect(run.status == 0, "\(run.stderr)")
        // The gateway is published on loopback unless GATEWAY_ADDRESS says otherwise.
        #expect(run.stdout.contains("127.0.0.1:4006:4006") || run.stdout.contains("host_ip: 127.0.0.1"), "\(run.stdout)")
    }

    /// No public default signs tokens: without JWT_SECRET, compose refuses and says what to set.
    @Test func theComposeFileRequiresAJWTSecret() async throws {
        let run = try await Self.config([:])
        #expect(run.status != 0)
        #expect(run.stderr.contains("set JWT_SECRET"), "\(run.stderr)")
    }

    /// A recreated container gets a new address: each upstream re-resolves its name, so the
    /// gateway follows without a restart (nginx ≥ 1.27.3; the image cannot run here).
    @Test func theGatewayReResolvesEachContextsName() async throws {
        let run = try await Self.config(["JWT_SECRET": "a-secret-of-thirty-two-bytes-or-more"])
        // docker-compose folds long values over lines.
        let text = run.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for (context, port) in [("profiles", 4011), ("engagement", 4012), ("support", 4013), ("loyalty", 4014)] {
            #expect(
                text.contains("zone \(context) 64k; resolver 127.0.0.11 valid=5s ipv6=off; server \(context):\(port) resolve;"),
                "\(context)")
        }
    }

    @Test func eachContextIsATargetOfTheOneDockerfile() throws {
        let file = try String(contentsOfFile: Self.compose + "/docker-compose.yml", encoding: .utf8)
        let dockerfile = try String(contentsOfFile: Self.compose + "/Dockerfile", encoding: .utf8)
        for context in ["profiles", "engagement", "support", "loyalty"] {
            #expect(file.contains("build: { context: .., dockerfile: compose/Dockerfile, target: \(context), "))
            #expect(dockerfile.contains("FROM runtime AS \(context)"))
        }
        let builds = dockerfile.split(separator: "\n").filter { $0.contains("swift build -c release") && !$0.contains("--show-bin-path") }
        #expect(builds.count == 1, "one build for all four")
        // The release flags of scripts/stack and the benchmarks (scripts/lib/common.sh, RELEASE_BUILD).
        #expect(dockerfile.contains("swift build -c release --static-swift-stdlib \\\n"))
    }
}
