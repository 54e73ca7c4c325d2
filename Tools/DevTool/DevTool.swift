import ArgumentParser
import Auth

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Developer tools: `lw-dev token` mints a JWT the services accept (`scripts/token`); `lw-dev
/// publish` sends the events other platform services publish; `lw-dev bench-events` measures the bus.
@main
struct DevTool: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lw-dev",
        abstract: "Developer tools for the Lomash Wood customer platform.",
        subcommands: [Token.self, Publish.self, BenchEvents.self]
    )
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a signed HS256 token for trying the API.")

    @Option(help: "The user id (the token's sub).") var sub: String
    @Option(help: "customer, agent or admin.") var role: String = "customer"
    @Option(help: "The token's email claim.") var email: String?
    @Option(help: "Lifetime in seconds.") var expiresIn: Int = 3600
    @Option(help: "Signing secret (default: $JWT_SECRET).") var secret: String?
    @Option(help: "Print this many tokens, one per line, for users <sub>1 … <sub>N (load tests).") var count = 1

    func run() async throws {
        guard let role = Role(rawValue: role) else {
            throw ValidationError("role must be customer, agent or admin")
        }
        guard let secret = secret ?? ProcessInfo.processInfo.environment["JWT_SECRET"], secret.utf8.count >= 32 else {
            throw ValidationError("pass --secret or set JWT_SECRET (at least 32 bytes)")
        }
        let env = ProcessInfo.processInfo.environment
        let minter = await TokenMinter(secret: secret)
        let subjects = count == 1 ? [sub] : (1...max(count, 1)).map { "\(sub)\($0)" }
        var lines = ""
        for subject in subjects {
            lines +=
                try await minter.mint(
                    sub: subject, role: role, email: email, expiresIn: TimeInterval(expiresIn),
                    issuer: env["JWT_ISSUER"], audience: env["JWT_AUDIENCE"]) + "\n"
        }
        print(lines, terminator: "")
    }
}
