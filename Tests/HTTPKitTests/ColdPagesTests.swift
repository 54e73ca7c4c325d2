import Foundation
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

    /// Pages that another process maps too, which `MADV_PAGEOUT` leaves (the C libraries' pages
    /// in a server), leave this process's resident set as well. A file of the test's own, mapped
    /// and read by a child process, stands in for a library.
    @Test func pagesSharedWithAnotherProcessLeaveTheResidentSet() throws {
        let name = "coldpages-\(UInt64.random(in: 0...UInt64.max)).bin"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        let size = 1 << 20
        #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: size)))
        defer { unlink(path) }
        let other = Process()
        other.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        other.arguments = ["-c", """
            import mmap, sys, time
            f = open(sys.argv[1], "rb")
            m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            print(sum(m[i] for i in range(0, len(m), 4096)), flush=True)
            time.sleep(30)
            """, path]
        let output = Pipe()
        other.standardOutput = output
        try other.run()
        defer { kill(other.processIdentifier, SIGKILL); other.waitUntilExit() }
        // Its line says it has read every page of its mapping.
        var line = ""
        while !line.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += String(decoding: chunk, as: UTF8.self)
        }
        #expect(line.trimmingCharacters(in: .whitespacesAndNewlines) == "\(7 * 256)")

        let file = open(path, O_RDONLY)
        defer { close(file) }
        let mapping = try #require(mmap(nil, size, PROT_READ, MAP_PRIVATE, file, 0).flatMap { $0 == MAP_FAILED ? nil : $0 })
        defer { munmap(mapping, size) }
        var sum = 0
        for offset in stride(from: 0, to: size, by: 4096) { sum += Int(mapping.load(fromByteOffset: offset, as: UInt8.self)) }
        #expect(sum == 7 * 256)
        #expect(residentKB(ofFile: name) == 1024)
        ColdPages.release()
        #expect(residentKB(ofFile: name) == 0)
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

    /// Resident KiB of the mappings of the files whose path contains `name`.
    private func residentKB(ofFile name: String) -> Int {
        guard let smaps = ColdPages.procFile("/proc/self/smaps") else { return 0 }
        var inFile = false
        var total = 0
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.first?.contains("-") == true, fields.count >= 5 {
                inFile = fields.count >= 6 && fields[5].contains(name)
            } else if inFile, fields.first == "Rss:", fields.count >= 2 {
                total += Int(fields[1]) ?? 0
            }
        }
        return total
    }
}
