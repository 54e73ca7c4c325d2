import PostgresNIO

extension PostgresRowSequence {
    /// The first row's single column (`SELECT count(*)…`, `SELECT EXISTS…`), or nil without
    /// a row.
    public func value<Value: PostgresDecodable>(_ type: Value.Type) async throws -> Value? {
        for try await value in decode(Value.self) { return value }
        return nil
    }
}
