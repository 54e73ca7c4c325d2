import Foundation
import Storage
import Testing
import TestSupport

/// Timestamps round-trip to the millisecond: parsed, stored in PostgreSQL and written again,
/// every millisecond value comes back as it was sent.
@Suite struct TimestampTests {
    static let texts = (0..<1000).map { "2026-01-01T10:00:00.\(String(repeating: "0", count: 3 - String($0).count))\($0)Z" }

    @Test func everyMillisecondSurvivesParseAndFormat() throws {
        let dates = try Self.texts.map { try #require(Timestamp.parse($0)) }
        #expect(Self.changed(dates) == [])
        // And through the JSON coders events and bodies use.
        struct Stamp: Codable { var at: Date }
        let json = try JSONCoding.encoder.encode(Self.texts.map { Stamp(at: Timestamp.parse($0)!) })
        let decoded = try JSONCoding.decoder.decode([Stamp].self, from: json)
        #expect(Self.changed(decoded.map(\.at)) == [])
    }

    @Test func everyMillisecondSurvivesPostgres() async throws {
        let dates = try Self.texts.map { try #require(Timestamp.parse($0)) }
        let stored = try await withDatabase(schema: TestEnvironment.uniqueSchema("time")) { database in
            try await database.query("SELECT unnest(\(dates)::timestamptz[])").values(Date.self)
        }
        #expect(Self.changed(stored) == [])
    }

    /// The values that do not come back as they were sent: `sent → written`.
    static func changed(_ dates: [Date]) -> [String] {
        zip(texts, dates.map(Timestamp.iso8601)).filter { $0 != $1 }.map { "\($0) → \($1)" }
    }
}
