import Contracts
import Foundation
import PostgresNIO
import TestSupport
import Testing

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

    @Test func parsingIsStrict() throws {
        let same = Timestamp.parse("2026-01-01T10:00:00.000Z")
        #expect(same != nil)
        for text in ["2026-01-01T11:00:00+01:00", "2026-01-01T10:00:00Z", "2026-01-01T04:30:00.000-05:30", "2026-01-01T10:00:00.0000000Z"] {
            #expect(Timestamp.parse(text) == same, "\(text)")
        }
        #expect(Timestamp.iso8601(try #require(Timestamp.parse("2024-02-29T23:59:59.999+18:00"))) == "2024-02-29T05:59:59.999Z")
        #expect(Timestamp.iso8601(try #require(Timestamp.parse("9999-12-31T23:59:59.999Z"))) == "9999-12-31T23:59:59.999Z")
        #expect(Timestamp.iso8601(try #require(Timestamp.parse("1600-01-01T00:00:00Z"))) == "1600-01-01T00:00:00.000Z")
        for text in [
            "2026-01-01T10:00:00Zjunk", "2026-01-01T10:00:00+01:00abc", "2026-01-01 10:00:00Z", "2026-01-01t10:00:00z",
            "2026-02-30T10:00:00Z", "2023-02-29T10:00:00Z", "2026-13-01T10:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T10:61:00Z",
            "2026-01-01T10:00:60Z", "2026-01-01T10:00:00.Z", "2026-01-01T10:00:00+18:30", "2026-01-01T10:00:00+1:00",
            "0132-08-02T15:17:46Z", "2026-01-01", "", "2026-01-01T10:00Z",
            "9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59.9996Z", "1600-01-01T00:30:00+01:00",
        ] {
            #expect(Timestamp.parse(text) == nil, "\(text)")
        }
    }

    /// The values that do not come back as they were sent: `sent → written`.
    static func changed(_ dates: [Date]) -> [String] {
        zip(texts, dates.map(Timestamp.iso8601)).filter { $0 != $1 }.map { "\($0) → \($1)" }
    }
}

/// `TimestampTests`' milliseconds, stored in PostgreSQL and read back.
@Suite(.needsTestServers) struct TimestampStorageTests {
    @Test func everyMillisecondSurvivesPostgres() async throws {
        let dates = try TimestampTests.texts.map { try #require(Timestamp.parse($0)) }
        let stored = try await withDatabase(schema: TestEnvironment.uniqueSchema("time")) { database in
            try await database.query("SELECT unnest(\(dates)::timestamptz[])").values(Date.self)
        }
        #expect(TimestampTests.changed(stored) == [])
    }
}
