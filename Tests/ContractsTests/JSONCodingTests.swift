import Contracts
import Foundation
import Testing

/// The conventions of `JSONCoding.encoder`, which every response, event and cache entry uses.
@Suite struct JSONCodingTests {
    struct Inner: Encodable { var zeta = 1, alpha = "a" }
    struct Model: Encodable {
        var zeta = 1
        var link = "https://lomash.example/a/b"
        var at = Date(timeIntervalSince1970: 1_764_504_000.561)
        var missing: String? = nil
        @Nullable var shownAsNull: Date? = nil
        var inner = Inner()
        var counts = ["5": 1, "1": 2, "3": 0, "2": 9, "4": 4]
    }

    @Test func keysAreSortedAtEveryLevelSoTheSameValueIsAlwaysTheSameBytes() throws {
        let expected = #"{"at":"2025-11-30T12:00:00.561Z","counts":{"1":2,"2":9,"3":0,"4":4,"5":1},"inner":{"alpha":"a","zeta":1},"#
            + #""link":"https://lomash.example/a/b","shownAsNull":null,"zeta":1}"#
        // Dictionaries hash with a per-process seed; many encodings of fresh copies must agree.
        for _ in 0..<20 {
            #expect(try JSONCoding.string(Model()) == expected)
        }
    }

    @Test func infinityAndNaNAreErrors() {
        struct Bad: Encodable { var value: Double }
        #expect(throws: (any Error).self) { try JSONCoding.encoder.encode(Bad(value: .infinity)) }
        #expect(throws: (any Error).self) { try JSONCoding.encoder.encode(Bad(value: .nan)) }
    }
}
