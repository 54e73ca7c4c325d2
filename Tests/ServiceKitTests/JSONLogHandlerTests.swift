import Foundation
import Logging
import Testing

@testable import ServiceKit

/// Each log line is one JSON object with its keys sorted, whatever its values hold, and values
/// keep their JSON types.
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
        let line = JSONLogHandler.line(fields.mapValues { .string($0) })
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().contains(UInt8(ascii: "\n")) == false)
        let parsed = try JSONDecoder().decode([String: String].self, from: Data(line))
        #expect(parsed == fields)
        #expect(String(decoding: line, as: UTF8.self).contains(#"\u0001\u001f"#))
    }

    @Test func numbersAndBooleansAreJSONNumbersAndBooleans() {
        let line = JSONLogHandler.line([
            "status": .stringConvertible(403), "durationMs": .stringConvertible(0.21), "dryRun": .stringConvertible(false),
            "offset": .stringConvertible(Int64(42)), "path": "/v1/customers",
        ])
        #expect(
            String(decoding: line, as: UTF8.self)
                == #"{"dryRun":false,"durationMs":0.21,"offset":42,"path":"/v1/customers","status":403}"# + "\n")
    }

    @Test func nestedMetadataIsJSONAndOtherValuesAreStrings() {
        let line = JSONLogHandler.line([
            "counts": .dictionary(["expired": .stringConvertible(2), "kept": .stringConvertible(0)]),
            "topics": .array(["a", .stringConvertible(1)]),
            "notANumber": .stringConvertible(Double.nan),
            "at": .stringConvertible(Duration.seconds(1)),
        ])
        #expect(
            String(decoding: line, as: UTF8.self)
                == #"{"at":"1.0 seconds","counts":{"expired":2,"kept":0},"notANumber":"nan","topics":["a",1]}"# + "\n")
    }
}
