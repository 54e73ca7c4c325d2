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

    /// Pages of the C libraries, which other processes map too and `MADV_PAGEOUT` leaves, leave
    /// this process's resident set as well.
    @Test func sharedLibraryPagesLeaveTheResidentSet() throws {
        let before = residentKB(ofLibrary: "libc.so")
        ColdPages.release()
        let after = residentKB(ofLibrary: "libc.so")
        #expect(before > 256)
        #expect(after < before / 2, "libc resident \(before) KiB before, \(after) KiB after")
    }

    /// Only a mapping of a file that the process has neither write access to nor written pages
    /// in (resident or swapped out) may lose its pages; each mapping's figures follow its header.
    @Test func smapsParsing() {
        let smaps = """
        00400000-00402000 r-xp 00000000 fe:00 11 /usr/bin/server
        Rss:                   8 kB
        Anonymous:             0 kB
        00602000-00603000 r--p 00002000 fe:00 11 /usr/bin/server
        Anonymous:             4 kB
        00603000-00604000 r--p 00003000 fe:00 11 /usr/bin/server
        Anonymous:             0 kB
        Swap:                  8 kB
        00604000-00605000 rw-p 00004000 fe:00 11 /usr/bin/server
        Anonymous:             0 kB
        00700000-00800000 rw-p 00000000 00:00 0 
        Anonymous:          1024 kB
        7f0000000000-7f0000010000 r-xp 00000000 fe:00 12 /usr/lib/libc.so.6
        Anonymous:             0 kB
        VmFlags: rd ex mr mw me
        """
        let mappings = FileMapping.parse(smaps: smaps)
        #expect(mappings.map { UInt(bitPattern: $0.start) } == [0x400000, 0x602000, 0x603000, 0x604000, 0x7f00_0000_0000])
        #expect(mappings.map(\.length) == [0x2000, 0x1000, 0x1000, 0x1000, 0x10000])
        #expect(mappings.map(\.writable) == [false, false, false, true, false])
        #expect(mappings.map(\.privatelyWrittenKB) == [0, 4, 8, 0, 0])
    }

    /// The pages go once per quiet spell: not while requests arrive, not again while none do,
    /// and not at all if none came since the start-up release.
    @Test func aQuietSpellAfterTrafficReleasesOnce() {
        var watch = QuietWatch(activity: 5)
        let counts = [5, 5, 9, 40, 40, 40, 41, 41, 41]
        let spells = counts.map { watch.observe(activity: $0) }
        #expect(spells == [.stillQuiet, .stillQuiet, .serving, .serving, .quietSinceNow, .stillQuiet, .serving, .quietSinceNow, .stillQuiet])
    }

    /// Resident KiB of the mappings of a library whose file name contains `name`.
    private func residentKB(ofLibrary name: String) -> Int {
        guard let smaps = ColdPages.procFile("/proc/self/smaps") else { return 0 }
        var inLibrary = false
        var total = 0
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.first?.contains("-") == true, fields.count >= 5 {
                inLibrary = fields.count >= 6 && fields[5].contains(name)
            } else if inLibrary, fields.first == "Rss:", fields.count >= 2 {
                total += Int(fields[1]) ?? 0
            }
        }
        return total
    }
}
