import Contracts
import Foundation
import TestSupport
import Testing

/// The gateway's `/docs`: docs/openapi.yaml in Swagger UI, served from the gateway's own files,
/// driven in headless Chromium (scripts/lib/docs-check.py) as a developer would use it.
@Suite(.needsStack) struct ApiDocsTests {
    /// The operation groups docs/openapi.yaml declares (its top-level `tags`).
    static func declaredGroups() throws -> [String] {
        let spec = try String(contentsOfFile: repositoryRoot + "/docs/openapi.yaml", encoding: .utf8)
        let tags = try #require(spec.split(separator: "\n", omittingEmptySubsequences: false).split { $0 == "tags:" }.dropFirst().first)
        return tags.prefix { $0.hasPrefix("  ") || $0.isEmpty }.compactMap { line in
            line.firstMatch(of: /^  - name: (.+)$/).map { String($0.1) }
        }
    }

    @Test func theDocsPageRendersEveryGroupAndTryItOutCallsTheGateway() async throws {
        let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
        // API_DOCS_SCREENSHOT=$PWD/docs/api-docs.png scripts/test --filter ApiDocsTests refreshes the one in docs/.
        let kept = ProcessInfo.processInfo.environment["API_DOCS_SCREENSHOT"]
        let screenshot = kept ?? FileManager.default.temporaryDirectory.appendingPathComponent("api-docs-\(UUID().uuidString).png").path
        defer { if kept == nil { unlink(screenshot) } }
        // The python3 scripts/test installed selenium for: the first on the test's PATH.
        let run = try await runCapturingOutput(
            "/usr/bin/env",
            [
                "python3", repositoryRoot + "/scripts/lib/docs-check.py", "--url", TestEnvironment.gatewayURL, "--token", token,
                "--screenshot", screenshot,
            ],
            environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()])
        #expect(run.status == 0, "\(run.stderr)")
        let page = try JSONDecoder().decode([String: JSONValue].self, from: Data(run.stdout.utf8))
        let declared = try Self.declaredGroups()
        #expect(declared.count >= 10, "docs/openapi.yaml's tags: \(declared)")
        #expect(page["groups"] == .array(declared.map { .string($0) }))
        #expect(page["tryItOutStatus"] == "200")
        #expect(FileManager.default.fileExists(atPath: screenshot))
    }

    /// Nothing of the page comes from elsewhere: the HTML names only the gateway's own files.
    @Test func thePageLoadsNothingFromACDN() async throws {
        let page = try await gatewayRoot.get("/docs/", as: nil)
        #expect(page.status == .ok)
        #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
        #expect(!page.text.contains("http"), "\(page.text)")
        let script = try await gatewayRoot.get("/docs/swagger-ui-bundle.js", as: nil)
        #expect(script.status == .ok)
        #expect(script.headers[.contentType]?.hasPrefix("application/javascript") == true)
        let spec = try await gatewayRoot.get("/docs/openapi.yaml", as: nil)
        #expect(spec.status == .ok)
        #expect(spec.text == (try String(contentsOfFile: repositoryRoot + "/docs/openapi.yaml", encoding: .utf8)))
    }
}
