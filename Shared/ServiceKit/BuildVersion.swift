#if canImport(Glibc)
import Glibc
#endif

/// The running build's version and commit (`0.1.0+3f2c1ab`), as `/health` and `build_info`
/// report them.
///
/// The build records them in a `build-version` file beside the executable: the scripts from
/// the repository's `VERSION` and `git rev-parse` (`record_build_version` in
/// `scripts/lib/common.sh`), the image from its `VERSION` and `COMMIT` build arguments. Read
/// at run time rather than compiled in, so that a new commit does not rebuild every module;
/// a binary built by a bare `swift build` says `0.0.0-dev+unknown`.
public struct BuildVersion: Sendable, CustomStringConvertible {
    public let version: String
    public let commit: String

    public var description: String { "\(version)+\(commit)" }

    public static let current: BuildVersion = {
        guard let text = TextFile.read(executableDirectory() + "/build-version") else { return BuildVersion(version: "0.0.0-dev", commit: "unknown") }
        return parse(text)
    }()

    /// `0.1.0+3f2c1ab` (surrounding blanks ignored); a line without `+` has an unknown commit.
    static func parse(_ text: String) -> BuildVersion {
        let line = text.split(whereSeparator: \.isNewline).first.map { String($0.filter { !$0.isWhitespace }) } ?? ""
        let parts = line.split(separator: "+", maxSplits: 1).map(String.init)
        return BuildVersion(version: parts.first ?? "0.0.0-dev", commit: parts.count > 1 ? parts[1] : "unknown")
    }

    private static func executableDirectory() -> String {
        var path = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &path, Int(PATH_MAX))
        guard length > 0 else { return "." }
        let executable = String(decoding: path[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(executable[..<(executable.lastIndex(of: "/") ?? executable.endIndex)])
    }
}
