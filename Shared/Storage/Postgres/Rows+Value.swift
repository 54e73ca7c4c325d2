import PostgresNIO

extension AsyncSequence {
    /// The first element, or nil for an empty sequence: the first row of a query.
    public func firstElement() async throws -> Element? {
        for try await element in self { return element }
        return nil
    }
}

extension AsyncSequence where Element == PostgresRow {
    /// The first row's single column (`SELECT count(*)…`, `SELECT EXISTS…`), or nil without
    /// a row.
    public func value<Value: PostgresDecodable>(_ type: Value.Type) async throws -> Value? {
        try await decode(Value.self).firstElement()
    }

    /// Every row's single column.
    public func values<Value: PostgresDecodable>(_ type: Value.Type) async throws -> [Value] {
        var values: [Value] = []
        for try await value in decode(Value.self) { values.append(value) }
        return values
    }
}
