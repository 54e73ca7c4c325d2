import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A configuration variable that is missing or malformed. Its description is the one
/// line a service prints before it exits.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let variable: String
    public let problem: String

    public var description: String { "\(variable) \(problem)" }
}

/// Typed, validated access to environment variables. Empty values count as unset.
public struct EnvironmentVariables: Sendable {
    let values: [String: String]

    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values.filter { !$0.value.isEmpty }
    }

    public func optionalString(_ name: String) -> String? { values[name] }

    public func string(_ name: String, default value: String? = nil) throws(ConfigurationError) -> String {
        guard let result = values[name] ?? value else { throw ConfigurationError(variable: name, problem: "is required") }
        return result
    }

    public func int(_ name: String, default value: Int, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let text = values[name] else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw ConfigurationError(variable: name, problem: "must be an integer from \(range.lowerBound) to \(range.upperBound) (got '\(text)')")
        }
        return number
    }

    public func bool(_ name: String, default value: Bool) throws(ConfigurationError) -> Bool {
        guard let text = values[name]?.lowercased() else { return value }
        switch text {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigurationError(variable: name, problem: "must be true or false (got '\(text)')")
        }
    }

    /// A comma-separated list, trimmed, without empty items.
    public func list(_ name: String, default value: [String]) -> [String] {
        guard let text = values[name] else { return value }
        return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Parses a variable with a throwing parser (URLs), naming the variable on failure.
    public func parsed<Value>(
        _ name: String, default value: String? = nil, _ parse: (String) throws(InvalidSetting) -> Value
    ) throws(ConfigurationError) -> Value {
        let text = try string(name, default: value)
        do {
            return try parse(text)
        } catch {
            throw ConfigurationError(variable: name, problem: error.reason)
        }
    }
}
