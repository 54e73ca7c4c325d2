import Foundation
import TestSupport
import Testing

/// The compose stack cannot run on this machine (no engine, no image registry), but its file is
/// checked as Docker Compose reads it: `docker-compose config` (Debian's) resolves the anchors,
/// the variables and the four build targets of the one Dockerfile.
@Suite struct ComposeFileTests {
    static let compose = repositoryRoot + "/compose"

    @Test func dockerComposeAcceptsTheComposeFile() async throws {
        let (status, stderr) = try await runToCompletion(
            "/usr/bin/docker-compose", ["--project-directory", Self.compose, "-f", Self.compose + "/docker-compose.yml", "config", "-q"],
            environment: ["PATH": "/usr/bin:/bin"])
        #expect(status == 0, "\(stderr)")
    }

    @Test func eachContextIsATargetOfTheOneDockerfile() throws {
        let file = try String(contentsOfFile: Self.compose + "/docker-compose.yml", encoding: .utf8)
        let dockerfile = try String(contentsOfFile: Self.compose + "/Dockerfile", encoding: .utf8)
        for context in ["profiles", "engagement", "support", "loyalty"] {
            #expect(file.contains("build: { context: .., dockerfile: compose/Dockerfile, target: \(context) }"))
            #expect(dockerfile.contains("FROM runtime AS \(context)"))
        }
        let builds = dockerfile.split(separator: "\n").filter { $0.contains("swift build -c release") && !$0.contains("--show-bin-path") }
        #expect(builds.count == 1, "one build for all four")
        // The release flags of scripts/stack and the benchmarks (scripts/lib/common.sh, RELEASE_BUILD).
        #expect(dockerfile.contains("swift build -c release --static-swift-stdlib \\\n"))
    }
}
