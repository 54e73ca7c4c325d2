import HTTPKit
import Testing

/// Lengths as JSON Schema and Postgres count them, and nothing Postgres cannot store.
@Suite struct FieldRuleTests {
    func read(_ text: String, _ length: ClosedRange<Int> = 1...100) -> String? {
        try? FieldRule<String>.string(length).parse(.string(text)).get()
    }

    @Test func lengthsCountCodePointsNotGraphemeClusters() {
        let accented = "e" + String(repeating: "\u{301}", count: 99)  // one grapheme, 100 code points
        #expect(read(accented) == accented)
        #expect(read(accented + "\u{301}") == nil)
        #expect(read("👍🏽", 1...1) == nil)  // two code points
        #expect(read("  padded  ", 6...6) == "padded")
    }

    @Test func aNulCharacterIsRefused() {
        #expect(read("a\u{0}b") == nil)
        guard case .failure(let failure) = FieldRule<String>.string(1...10).parse(.string("a\u{0}b")) else { return }
        #expect(failure.message == "must not contain NUL characters")
    }

    @Test func urlsAreWrittenAsRFC3986Allows() {
        let rule = FieldRule<String>.httpsURL()
        #expect((try? rule.parse(.string("https://cdn.example.com/a%20b.jpg?w=1")).get()) != nil)
        for text in ["https://a/ b", "https://x/é", "http://x/a", "https:///path", "https://x/<script>"] {
            #expect((try? rule.parse(.string(text)).get()) == nil, "\(text)")
        }
    }
}
