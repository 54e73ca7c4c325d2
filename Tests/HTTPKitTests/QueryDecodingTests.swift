import HTTPKit
import Testing

/// Query strings are form-encoded (CONTRACT §1), as browsers and common clients send them.
@Suite struct QueryDecodingTests {
    @Test(arguments: [
        ("q=EH1+1YZ", "EH1 1YZ"), ("q=EH1%201YZ", "EH1 1YZ"), ("q=a%2Bb", "a+b"), ("q=a+%2B+b", "a + b"),
        ("q=caf%C3%A9", "café"), ("q=100%", "100%"), ("q=%ZZ", "%ZZ"), ("q=", ""), ("q", ""), ("q=plain", "plain"),
        ("x=1&q=first&q=last", "last"), ("q=a=b", "a=b"),
    ])
    func valuesAreFormDecoded(query: String, value: String) {
        #expect(QueryParameters(query: query)["q"] == value)
    }

    @Test func namesAreDecodedTooAndAbsentQueriesAreEmpty() {
        #expect(QueryParameters(query: "sort+by=newest")["sort by"] == "newest")
        #expect(QueryParameters(query: "page%5Bsize%5D=5")["page[size]"] == "5")
        #expect(QueryParameters(query: nil)["q"] == nil)
        #expect(QueryParameters(query: "&&")["q"] == nil)
    }
}
