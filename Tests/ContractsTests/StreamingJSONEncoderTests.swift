import Foundation
import Testing

@testable import Contracts

/// `JSONCoding.encoder` writes JSON as a value encodes itself. Its output must be the value
/// Foundation's `JSONEncoder` (with the same conventions, its fallback) writes for every shape
/// our models use, and values it cannot stream must still come out right.
@Suite struct StreamingJSONEncoderTests {
    enum Kind: String, Codable { case EARN, REDEEM }

    struct Inner: Codable, Equatable {
        var label: String
        var weights: [Double]
        var tags: [String: Int]
    }

    struct Model: Codable {
        @LowercaseID var id: UUID
        var name: String
        var kind: Kind
        var count: Int
        var small: Int8
        var big: UInt64
        var negative: Int64
        var ratio: Double
        var single: Float
        var flag: Bool
        var at: Date
        var missing: String?
        var present: String?
        @Nullable var shownAsNull: Date?
        @Nullable var shownDate: Date?
        @Nullable var nullableId: UUID?
        var inner: Inner
        var list: [Inner]
        var optionals: [Int?]
        var nested: [[String]]
        var free: JSONValue
        var empty: [String]
        var emptyObject: [String: String]
    }

    static let model = Model(
        id: UUID(), name: "Ada \"Lovelace\" \\ a/b\n\t\r\u{8}\u{c}\u{1}\u{1f}\u{7f} é 😀 \u{2028}", kind: .EARN,
        count: -42, small: -8, big: UInt64.max, negative: Int64.min, ratio: 4.25, single: 0.1, flag: true,
        at: Date(timeIntervalSince1970: 1_764_504_000.561), missing: nil, present: "here",
        shownAsNull: nil, shownDate: Date(timeIntervalSince1970: 0), nullableId: UUID(),
        inner: Inner(label: "", weights: [1.0, 0.1, 1e20, 1e-7, -0.0, 123_456_789.125], tags: ["b": 2, "a": 1, "z": 0]),
        list: [Inner(label: "x", weights: [], tags: [:]), Inner(label: "y", weights: [2.5], tags: ["k": 3])],
        optionals: [1, nil, 3], nested: [[], ["a"], ["b", "c"]],
        free: .object(["n": .null, "list": .array([.int(1), .double(2.5), .string("s"), .bool(false)])]),
        empty: [], emptyObject: [:])

    /// Both encoders' output read back as JSON values, which compare objects by key and not
    /// by order (Foundation's key order on Linux is the hash order).
    func sameJSON<Value: Encodable>(_ value: Value) throws {
        let streamed = try JSONCoding.encoder.encode(value)
        let reference = try JSONCoding.encoder.fallback.encode(value)
        #expect(try JSONCoding.decoder.decode(JSONValue.self, from: streamed) == JSONCoding.decoder.decode(JSONValue.self, from: reference))
    }

    @Test func writesWhatFoundationWritesForEveryShapeOurModelsUse() throws {
        try sameJSON(Self.model)
        try sameJSON([Self.model, Self.model])
        try sameJSON("a top-level string")
        try sameJSON(7)
        try sameJSON([String: Model]())
        try sameJSON(Optional<Int>.none)
    }

    @Test func keepsKeysInTheOrderTheyAreEncodedAndEscapesOnlyWhatJSONRequires() throws {
        struct Ordered: Encodable { var zeta = 1, alpha = "a\"b\\c\n\u{1}/é", mid: Bool? = nil, last = [0.5, 2.0] }
        #expect(try JSONCoding.string(Ordered()) == #"{"zeta":1,"alpha":"a\"b\\c\n\u0001/é","last":[0.5,2]}"#)
        #expect(try JSONCoding.string(Date(timeIntervalSince1970: 1_764_504_000.561)) == #""2025-11-30T12:00:00.561Z""#)
        #expect(try JSONCoding.string([Int.min, 0, Int.max]) == "[-9223372036854775808,0,9223372036854775807]")
    }

    @Test func aValueThatWritesNothingIsAnEmptyObject() throws {
        struct Nothing: Encodable { func encode(to encoder: any Encoder) throws {} }
        #expect(try JSONCoding.string([Nothing()]) == "[{}]")
        try sameJSON([Nothing()])
    }

    @Test func infinityAndNaNAreErrorsAsInJSONEncoder() {
        struct Bad: Encodable { var value: Double }
        #expect(throws: EncodingError.self) { try JSONCoding.encoder.encode(Bad(value: .infinity)) }
        #expect(throws: EncodingError.self) { try JSONCoding.encoder.encode([Double.nan]) }
    }

    /// Shapes that cannot be written in one pass go to Foundation's encoder whole.
    @Test func valuesThatCannotBeStreamedComeOutRightThroughTheFallback() throws {
        enum Keys: String, CodingKey { case first, nested, last }
        enum NestedKeys: String, CodingKey { case a, b }

        /// Returns to a nested container after its parent moved on.
        struct BackAndForth: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                var nested = container.nestedContainer(keyedBy: NestedKeys.self, forKey: .nested)
                try nested.encode(1, forKey: .a)
                try container.encode("x", forKey: .last)
                try nested.encode(2, forKey: .b)
            }
        }
        /// The same, swallowing the error the stream raises.
        struct Swallowing: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                var nested = container.nestedContainer(keyedBy: NestedKeys.self, forKey: .nested)
                try container.encode("x", forKey: .last)
                try? nested.encode(2, forKey: .b)
            }
        }
        struct WithSuper: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(1, forKey: .first)
                var parent = container.superEncoder().singleValueContainer()
                try parent.encode("base")
            }
        }
        struct WithData: Encodable { var blob = Data([0, 1, 2, 250]), link = URL(string: "https://lomash.example/a?b=c")! }

        try sameJSON(BackAndForth())
        try sameJSON(Swallowing())
        try sameJSON(WithSuper())
        try sameJSON(WithData())
        #expect(
            try JSONCoding.decoder.decode(JSONValue.self, from: JSONCoding.encoder.encode(BackAndForth()))
                == .object(["nested": .object(["a": .int(1), "b": .int(2)]), "last": .string("x")]))
    }

    @Test func nestedContainersInOrderAreStreamed() throws {
        enum Keys: String, CodingKey { case head, rows, tail }
        struct Table: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode("h", forKey: .head)
                var rows = container.nestedUnkeyedContainer(forKey: .rows)
                var first = rows.nestedUnkeyedContainer()
                try first.encode(1)
                try first.encode(2)
                var second = rows.nestedContainer(keyedBy: Keys.self)
                try second.encodeNil(forKey: .head)
                try container.encode(true, forKey: .tail)
            }
        }
        #expect(try JSONCoding.string(Table()) == #"{"head":"h","rows":[[1,2],{"head":null}],"tail":true}"#)
    }
}
