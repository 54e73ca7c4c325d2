/// A `Duration` in the units metrics, logs and C APIs want.
extension Duration {
    public var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
    public var milliseconds: Double { Double(nanoseconds) / 1_000_000 }
    public var wholeMilliseconds: Int { Int(nanoseconds / 1_000_000) }
    public var seconds: Double { Double(nanoseconds) / 1_000_000_000 }
}
