import HTTPKit
import Testing

/// A server hands back the file pages its start-up touched (StartupPages); this test process's
/// own code and data pages stand in for a server's.
@Suite struct StartupPagesTests {
    @Test func fileBackedPagesAreReclaimed() {
        let before = StartupPages.kilobytes("RssFile")
        let advised = StartupPages.release()
        let after = StartupPages.kilobytes("RssFile")
        #expect(advised > 0)
        // A test process maps hundreds of MB of its own code; at least 4 MB of it must go.
        #expect(after < before - 4096, "RssFile \(before) KiB before, \(after) KiB after")
    }
}
