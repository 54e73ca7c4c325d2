import Contracts
import Testing

/// CONTRACT §1: user ids are compared byte for byte, as PostgreSQL compares `text`.
@Suite struct UserIDTests {
    @Test func canonicallyEquivalentIdsAreDifferentUsers() {
        // Swift's String calls each pair equal; the auth-service issued them as two users.
        for (a, b) in [("caf\u{E9}", "cafe\u{301}"), ("sec-K123", "sec-\u{212A}123"), ("\u{212B}", "\u{C5}")] {
            #expect(a == b)
            #expect(UserID(a) != UserID(b))
            #expect(Set([UserID(a), UserID(b)]).count == 2)
            #expect(UserID(a) == UserID(a))
        }
    }

    @Test func sortsInByteOrder() {
        let ids = ["b", "a\u{301}", "\u{E1}", "B", "a"].map(UserID.init).sorted().map { Array($0.value.utf8) }
        #expect(ids == [[0x42], [0x61], [0x61, 0xCC, 0x81], [0x62], [0xC3, 0xA1]])
    }

    @Test(arguments: ["u", "auth0|5f2c8e", "sec-\u{212A}123", String(repeating: "a", count: 128), String(repeating: "\u{E9}", count: 64)])
    func validIds(id: String) {
        #expect(UserID.isValid(id))
    }

    @Test(arguments: [
        "", "a\u{0}b", "a\rb", "a\nb", "a b", "a\tb", "a\u{7F}b", "a\u{85}b", "a\u{A0}b", "a\u{2028}b",
        String(repeating: "a", count: 129), String(repeating: "\u{E9}", count: 65),
    ])
    func invalidIds(id: String) {
        #expect(!UserID.isValid(id))
    }
}
