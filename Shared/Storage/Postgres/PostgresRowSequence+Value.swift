import PostgresNIO

extension PostgresRowSequence {
    /// The first row's single column (`SELECT count(*)…`, `SELECT EXISTS…`), or nil without
    /// a row.
    public func value<Value: PostgresDecodable>(_ type: Value.Type) async throws -> Value? {
        for try await value in decode(Value.self) { return value }
        return nil
    }
}

extension PostgresRowSequence {
    /// Every row's single column.
    public func values<Value: PostgresDecodable>(_ type: Value.Type) async throws -> [Value] {
        var values: [Value] = []
        for try await value in decode(Value.self) { values.append(value) }
        return values
    }
}
