/// A user id as the contract compares it: byte for byte (CONTRACT §1).
///
/// Swift's `String` compares and hashes by Unicode canonical equivalence — `café` written NFC
/// and NFD, or `K` and the Kelvin sign, are equal strings — while PostgreSQL's `text` compares
/// bytes and the auth-service issues them as two users. Wherever two user ids meet in Swift
/// rather than in SQL (an ownership check, a dictionary or set keyed by user), compare them as
/// `UserID`s, never as `String`s.
public struct UserID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: String

    public init(_ value: String) {
        self.value = value
    }

    public static func == (lhs: UserID, rhs: UserID) -> Bool {
        lhs.value.utf8.elementsEqual(rhs.value.utf8)
    }

    /// Byte order, as PostgreSQL's `C` collation sorts: the order locks on users are taken in.
    public static func < (lhs: UserID, rhs: UserID) -> Bool {
        lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        for byte in value.utf8 { hasher.combine(byte) }
        hasher.combine(value.utf8.count)
    }

    public var description: String { value }

    /// What the contract accepts as a user id (a token's `sub`): 1–128 bytes of UTF-8 with no
    /// control character (NUL included) and no white space. PostgreSQL's `text` cannot hold a
    /// NUL, and a space or line break in an id only ever comes from a forged or broken token.
    public static func isValid(_ value: String) -> Bool {
        (1...128).contains(value.utf8.count)
            && !value.unicodeScalars.contains { $0.properties.generalCategory == .control || $0.properties.isWhitespace }
    }
}
