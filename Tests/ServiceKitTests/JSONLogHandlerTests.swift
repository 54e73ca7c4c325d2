import Foundation
import Testing

@testable import ServiceKit

/// Each log line is one JSON object with its keys sorted, whatever its values hold.
@Suite struct JSONLogHandlerTests {
    @Test func aLineIsOneObjectWithSortedKeys() {
        let line = JSONLogHandler.line(["time": "2026-11-30T12:00:00.000Z", "level": "info", "message": "request", "path": "/v1/customers"])
        #expect(
            String(decoding: line, as: UTF8.self)
                == #"{"level":"info","message":"request","path":"/v1/customers","time":"2026-11-30T12:00:00.000Z"}"# + "\n")
    }

    @Test func valuesAreEscaped() throws {
        let fields = [
            "error": "PSQLError(\"duplicate key\", path: C:\\tmp)\n\tat line 2\r\u{1}\u{1f}",
            "message": "café ☕️ naïve — 日本",
            "we\"ird\\key": "",
        ]
        let line = JSONLogHandler.line(fields)
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().contains(UInt8(ascii: "\n")) == false)
        let parsed = try JSONDecoder().decode([String: String].self, from: Data(line))
        #expect(parsed == fields)
        #expect(String(decoding: line, as: UTF8.self).contains(#"\u0001\u001f"#))
    }
}
