import Storage
import Testing

/// A column's value no enum case matches is an error, never a default case.
@Suite struct StoredValueTests {
    enum Status: String {
        case inProgress = "IN_PROGRESS"
        case closed = "CLOSED"
    }

    @Test func aStoredRawValueReadsAsItsCase() throws {
        #expect(try Status.stored("IN_PROGRESS") == .inProgress)
        #expect(try Status.stored("CLOSED") == .closed)
    }

    @Test(arguments: ["", "closed", "inProgress", "REOPENED"])
    func anyOtherValueIsAnError(raw: String) {
        let error = #expect(throws: UnknownStoredValue.self) { try Status.stored(raw) }
        #expect(error?.description == "no Status is stored as \"\(raw)\"")
    }
}
