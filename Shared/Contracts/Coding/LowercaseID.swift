#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

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
    /// The id as every response, event and log line writes it. Written digit by digit:
    /// `uuidString` formats through `snprintf`, and lowering its case copies it again.
    public var lowercasedString: String {
        String(unsafeUninitializedCapacity: 36) { text in
            withUnsafeBytes(of: uuid) { bytes in
                func hex(_ digit: UInt8) -> UInt8 { digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10 }
                var index = 0
                for (position, byte) in bytes.enumerated() {
                    if position == 4 || position == 6 || position == 8 || position == 10 {
                        text[index] = UInt8(ascii: "-")
                        index += 1
                    }
                    text[index] = hex(byte >> 4)
                    text[index + 1] = hex(byte & 0xF)
                    index += 2
                }
                return index
            }
        }
    }
}
