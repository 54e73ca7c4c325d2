/// A column holding one of an enum's raw values. A value no case matches (a row written by a
/// newer version, or by hand) is an error — the request fails and the error is logged with
/// the column's value — never silently read as some default case.
public struct UnknownStoredValue: Error, CustomStringConvertible {
    public let type: String
    public let value: String

    public var description: String { "no \(type) is stored as \"\(value)\"" }
}

extension RawRepresentable where RawValue == String {
    /// The case stored as `raw`.
    public static func stored(_ raw: String) throws(UnknownStoredValue) -> Self {
        guard let value = Self(rawValue: raw) else { throw UnknownStoredValue(type: String(describing: Self.self), value: raw) }
        return value
    }
}
