import HTTPKit
import NIOCore
import Testing

/// CONTRACT §1: a body with the same key twice in one object is a 400, wherever the object is.
@Suite struct DuplicateKeysTests {
    static func read(_ text: String) throws(AppError) -> JSONBody {
        try JSONBody(buffer: ByteBuffer(string: text), contentType: "application/json")
    }

    @Test(arguments: [
        #"{"a":1,"a":2}"#,
        #"{"a":1,"\u0061":2}"#,
        #"{"x":{"b":1,"c":[{"d":1,"d":2}]}}"#,
        #"{"a\\":1,"a\\":2}"#,
        #"{"q\"":1,"q\"":2}"#,
        #"{"caf\u00e9":1,"cafe\u0301":2}"#,
    ])
    func aRepeatedKeyIsRefused(text: String) {
        #expect(throws: AppError.self) { try Self.read(text) }
    }

    @Test(arguments: [
        #"{"a":1,"b":{"a":1},"c":[{"a":1},{"a":2}]}"#,
        #"{"a":"a","b":["a","a"],"c":"\"a\":"}"#,
        #"{"a\\":1,"a":2,"\\a":3}"#,
        #"{"list":[1,2,{"k":"v"}],"k":"v"}"#,
    ])
    func distinctKeysInEachObjectAreFine(text: String) throws {
        _ = try Self.read(text)
    }
}
