import PostgresNIO

/// The rows of a statement, read in full while its connection was leased.
///
/// Why not postgres-nio's `PostgresRowSequence` straight from the pool: a pool-level query
/// keeps its connection until the rows are read, and postgres-nio 1.33 never gives the
/// connection back when the statement fails before reading starts (a constraint violation of a
/// data-modifying statement can: `PSQLRowStream.asyncSequence(onFinish:)`). Each such failure
/// leaked a connection until the pool ran dry and the service hung.
///
/// Reads like a `PostgresRowSequence`: `decode((A, B).self)`, `value(_:)`, `values(_:)`.
public struct Rows: AsyncSequence, Sendable {
    public typealias Element = PostgresRow
    let rows: [PostgresRow]

    init(_ rows: [PostgresRow]) {
        self.rows = rows
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: IndexingIterator<[PostgresRow]>
        public mutating func next() async throws -> PostgresRow? { base.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: rows.makeIterator()) }
}
