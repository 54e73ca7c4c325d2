import Foundation
import Testing

@testable import Auth

@Suite struct VerifiedTokensTests {
    let customer = Principal(userId: "u1", role: .customer)
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func remembersTheExactTokenUntilItsValidityEnds() {
        let tokens = VerifiedTokens()
        tokens.remember("a.b.c", customer, until: t0 + 60, now: t0)
        #expect(tokens.principal(for: "a.b.c", now: t0 + 59) == customer)
        #expect(tokens.principal(for: "a.b.cd", now: t0) == nil)
        #expect(tokens.principal(for: "a.b.c", now: t0 + 60) == nil)
        #expect(tokens.count == 0, "an expired entry that is looked up goes at once")
    }

    @Test func expiredEntriesAreSweptWithinAMinute() {
        let tokens = VerifiedTokens()
        tokens.remember("short", customer, until: t0 + 10, now: t0)
        tokens.remember("long", customer, until: t0 + 3600, now: t0 + 1)
        #expect(tokens.count == 2, "no sweep before a minute has passed")
        tokens.remember("later", customer, until: t0 + 3600, now: t0 + VerifiedTokens.sweepInterval)
        #expect(tokens.count == 2, "the expired one went, the valid ones stay")
        #expect(tokens.principal(for: "long", now: t0 + 61) == customer)
        #expect(tokens.principal(for: "short", now: t0 + 61) == nil)
    }

    @Test func startsOverWhenFull() {
        let tokens = VerifiedTokens(capacity: 2)
        tokens.remember("one", customer, until: t0 + 3600, now: t0)
        tokens.remember("two", customer, until: t0 + 3600, now: t0)
        tokens.remember("three", customer, until: t0 + 3600, now: t0)
        #expect(tokens.count == 1)
        #expect(tokens.principal(for: "three", now: t0) == customer)
        #expect(tokens.principal(for: "one", now: t0) == nil)
    }
}
