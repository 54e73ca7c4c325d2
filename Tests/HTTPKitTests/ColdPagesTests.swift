@testable import HTTPKit
import Testing

/// A server hands back the file pages it touched once (ColdPages): after its start-up, and when
/// it goes quiet after traffic. This test process's own code and data pages stand in for a server's.
@Suite struct ColdPagesTests {
    @Test func fileBackedPagesAreReclaimed() {
        let before = ColdPages.kilobytes("RssFile")
        let advised = ColdPages.release()
        let after = ColdPages.kilobytes("RssFile")
        #expect(advised > 0)
        // A test process maps hundreds of MB of its own code; at least 4 MB of it must go.
        #expect(after < before - 4096, "RssFile \(before) KiB before, \(after) KiB after")
    }

    /// The pages go once per quiet spell: not while requests arrive, not again while none do,
    /// and not at all if none came since the start-up release.
    @Test func aQuietSpellAfterTrafficReleasesOnce() {
        var watch = QuietWatch(activity: 5)
        let counts = [5, 5, 9, 40, 40, 40, 41, 41, 41]
        let spells = counts.map { watch.observe(activity: $0) }
        #expect(spells == [.stillQuiet, .stillQuiet, .serving, .serving, .quietSinceNow, .stillQuiet, .serving, .quietSinceNow, .stillQuiet])
    }
}
