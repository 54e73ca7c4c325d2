import Contracts
import Foundation
import Testing

@testable import Domain

/// Export parts travel in chunks under a byte budget and merge back into exactly the part.
@Suite struct ExportChunksTests {
    /// A loyalty-like part: an account, 10,000 ledger entries nested under `loyalty`, and
    /// empty lists and objects that must survive the trip.
    static func largePart() -> JSONValue {
        let entries = (0..<10_000).map { index -> JSONValue in
            .object(["id": .string("entry-\(index)"), "points": .int(index + 1), "reason": .string(String(repeating: "x", count: index % 50))])
        }
        return .object([
            "loyalty": .object(["account": .object(["points": .int(42), "tier": .string("GOLD")]), "transactions": .array(entries)]),
            "referrals": .array([]),
            "referralCode": .null,
            "settings": .object([:]),
        ])
    }

    @Test func aLargePartSplitsUnderTheBudgetAndMergesBackExactly() throws {
        let part = Self.largePart()
        let budget = 64 * 1024
        let chunks = try ExportChunks.split(part, budget: budget)
        #expect(chunks.count > 5)
        for chunk in chunks {
            // The cost estimate counts a few bytes of keys per item, so a chunk stays within it.
            #expect(try JSONCoding.encoder.encode(chunk).count <= budget)
        }
        #expect(ExportChunks.merge(chunks) == part)
        // Order within a list survives.
        guard case .object(let loyalty)? = { if case .object(let f) = ExportChunks.merge(chunks) { f["loyalty"] } else { nil } }(),
            case .array(let merged)? = loyalty["transactions"]
        else {
            Issue.record("no transactions")
            return
        }
        #expect(merged.first == .object(["id": .string("entry-0"), "points": .int(1), "reason": .string("")]))
        #expect(merged.count == 10_000)
    }

    @Test func aSmallPartIsOneChunkAndAnEmptyOneStaysEmpty() throws {
        let small = JSONValue.object(["profile": .object(["firstName": .string("Ada")]), "addresses": .array([])])
        #expect(try ExportChunks.split(small) == [small])
        #expect(try ExportChunks.split(.object([:])) == [.object([:])])
        #expect(ExportChunks.merge([.object([:])]) == .object([:]))
    }

    @Test func anItemLargerThanTheBudgetTravelsAlone() throws {
        let big = JSONValue.string(String(repeating: "y", count: 5_000))
        let part = JSONValue.object(["tickets": .array([.string("a"), big, .string("b")])])
        let chunks = try ExportChunks.split(part, budget: 1_000)
        #expect(
            chunks == [
                .object(["tickets": .array([.string("a")])]), .object(["tickets": .array([big])]), .object(["tickets": .array([.string("b")])]),
            ])
        #expect(ExportChunks.merge(chunks) == part)
    }

    @Test func anItemOverTheMessageLimitIsRefused() throws {
        let huge = JSONValue.string(String(repeating: "z", count: ExportChunks.limit))
        #expect(throws: ExportChunks.ItemTooLarge.self) {
            try ExportChunks.split(.object(["tickets": .array([huge])]))
        }
    }
}
