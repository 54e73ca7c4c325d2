import Contracts
import Foundation
import Testing

@Suite struct NullableTests {
    struct Thing: Codable, Equatable {
        var name: String
        @Nullable var nickname: String?
    }

    @Test func absentValuesAreEncodedAsNullAndMissingKeysDecodeAsNil() throws {
        let json = String(decoding: try JSONCoding.encoder.encode(Thing(name: "a", nickname: nil)), as: UTF8.self)
        #expect(json.contains(#""nickname":null"#))
        #expect(try JSONCoding.decoder.decode(Thing.self, from: Data(#"{"name":"a"}"#.utf8)) == Thing(name: "a", nickname: nil))
        #expect(try JSONCoding.decoder.decode(Thing.self, from: Data(#"{"name":"a","nickname":"b"}"#.utf8)).nickname == "b")
        #expect(Timestamp.iso8601(Date(timeIntervalSince1970: 1_795_000_000.123)) == "2026-11-18T11:06:40.123Z")
    }
}
