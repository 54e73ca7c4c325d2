import Foundation

/// A UUID written in lower case (CONTRACT §1): Swift's `uuidString` and `Codable` write upper
/// case. Reading accepts either case.
///
///     struct Address: Codable { @LowercaseID var id: UUID }
@propertyWrapper
public struct LowercaseID: Codable, Sendable, Hashable {
    public var wrappedValue: UUID

    public init(wrappedValue: UUID) {
        self.wrappedValue = wrappedValue
    }

    public init(from decoder: any Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode(UUID.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue.lowercasedString)
    }
}

extension UUID {
    /// The id as every response, event and log line writes it.
    public var lowercasedString: String { uuidString.lowercased() }
}
