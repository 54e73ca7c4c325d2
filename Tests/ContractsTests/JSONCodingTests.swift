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

    @Test func aStructKeepsItsOrderAndADictionaryIsSortedSoTheSameValueIsAlwaysTheSameBytes() throws {
        let expected =
            #"{"zeta":1,"link":"https://lomash.example/a/b","at":"2025-11-30T12:00:00.561Z","shownAsNull":null,"#
            + #""inner":{"zeta":1,"alpha":"a"},"counts":{"1":2,"2":9,"3":0,"4":4,"5":1}}"#
        // Dictionaries hash with a per-process seed; many encodings of fresh copies must agree.
        for _ in 0..<20 {
            #expect(try JSONCoding.string(Model()) == expected)
        }
        // Through Foundation's fallback (a value that cannot be streamed), the keys are sorted.
        struct WithData: Encodable { var zeta = 1, counts = ["b": 2, "a": 1], blob = Data([1]) }
        #expect(try JSONCoding.string(WithData()) == #"{"blob":"AQ==","counts":{"a":1,"b":2},"zeta":1}"#)
    }

    @Test func infinityAndNaNAreErrors() {
        struct Bad: Encodable { var value: Double }
        #expect(throws: (any Error).self) { try JSONCoding.encoder.encode(Bad(value: .infinity)) }
        #expect(throws: (any Error).self) { try JSONCoding.encoder.encode(Bad(value: .nan)) }
    }
}
