import TestSupport
import Testing

/// The built executables (`LW_BIN_DIR`), started as an operator would start them.
@Suite(.needsStack) struct ExecutableConfigurationTests {
    /// The built executables stop with one line naming the variable, and exit 1.
    @Test(arguments: [
        ("profiles", ["DATABASE_URL": "postgres://u:p@127.0.0.1:1/db"], "JWT_SECRET"),
        ("loyalty", ["DATABASE_URL": "not a url", "JWT_SECRET": "0123456789abcdef0123456789abcdef"], "DATABASE_URL"),
    ])
    func executablesRefuseToStart(executable: String, environment: [String: String], variable: String) async throws {
        let (status, output) = try await runToCompletion(
            TestEnvironment.binDirectory + "/" + executable, ["serve"],
            environment: environment.merging(["PATH": "/usr/bin:/bin", "PORT": String(try freePort())]) { $1 })
        #expect(status == 1)
        let lines = output.split(separator: "\n")
        #expect(lines.count == 1, "\(output)")
        #expect(lines.first?.hasPrefix("\(executable): configuration error: \(variable)") == true, "\(output)")
    }
}
