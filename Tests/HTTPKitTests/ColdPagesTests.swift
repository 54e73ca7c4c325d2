import Foundation
@testable import HTTPKit
import Testing

/// A server hands back the file pages it touched once (ColdPages): after its start-up, and when
/// it goes quiet after traffic. This test process's own code and data pages stand in for a server's.
// Serialized: a release in one test would take the pages another test is counting.
@Suite(.serialized) struct ColdPagesTests {
    @Test func fileBackedPagesAreReclaimed() {
        let before = ColdPages.kilobytes("RssFile")
        let advised = ColdPages.release()
        let after = ColdPages.kilobytes("RssFile")
        #expect(advised > 0)
        // A test process maps hundreds of MB of its own code; at least 4 MB of it must go.
        #expect(after < before - 4096, "RssFile \(before) KiB before, \(after) KiB after")
    }

    /// Pages of a loaded library that another process maps too, which `MADV_PAGEOUT` leaves (the
    /// C libraries' pages in a server), leave this process's resident set as well. A copy of
    /// zlib, loaded here and mapped and read whole by a child process, stands in for them.
    @Test func sharedLibraryPagesLeaveTheResidentSet() throws {
        let original = try #require(["/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1",
                                     "/lib/aarch64-linux-gnu/libz.so.1", "/usr/lib/aarch64-linux-gnu/libz.so.1"]
            .first { FileManager.default.fileExists(atPath: $0) })
        let name = "coldpages-\(UInt64.random(in: 0...UInt64.max)).so"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        // The file itself, not the symbolic link its name is.
        try FileManager.default.copyItem(atPath: URL(fileURLWithPath: original).resolvingSymlinksInPath().path, toPath: path)
        defer { unlink(path) }

        // The child maps the whole file and reads every page, then waits for its standard input
        // to close, so that it holds the pages for as long as the test needs.
        let other = Process()
        other.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        other.arguments = ["python3", "-c", """
            import mmap, sys
            f = open(sys.argv[1], "rb")
            m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            print(sum(1 for i in range(0, len(m), 4096) if m[i] >= 0), flush=True)
            sys.stdin.read()
            """, path]
        let input = Pipe(), output = Pipe()
        other.standardInput = input
        other.standardOutput = output
        try other.run()
        defer { try? input.fileHandleForWriting.close(); other.waitUntilExit() }
        var line = ""
        while !line.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += String(decoding: chunk, as: UTF8.self)
        }
        let size = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        try #require(Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) == (size + 4095) / 4096, "the child read \(line)")

        let library = try #require(dlopen(path, RTLD_NOW | RTLD_LOCAL), "\(dlerror().map { String(cString: $0) } ?? "dlopen failed")")
        defer { dlclose(library) }
        #expect(touchReadOnlyPages(ofFile: name) > 0)
        let before = residentReadOnlyKB(ofFile: name)
        #expect(before >= 16)
        ColdPages.release()
        #expect(other.isRunning, "the child must still map the pages, or MADV_PAGEOUT alone would take them")
        #expect(residentReadOnlyKB(ofFile: name) == 0, "\(before) KiB before")
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
        7f0000010000-7f0000011000 r--p 00000000 fe:00 13 /usr/lib/old.so (deleted)
        Anonymous:             0 kB
        7f0000011000-7f0000012000 r--p 00000000 00:00 0                          [vvar]
        Anonymous:             0 kB
        7f0000012000-7f0000013000 r--p 00000000 fe:00 14 /srv/a name with spaces.so
        Rss:                   4 kB
        """
        let mappings = FileMapping.parse(smaps: smaps)
        // Not [vvar], which is not a file; the last says nothing of written pages, so it keeps them.
        #expect(mappings.map { UInt(bitPattern: $0.start) } == [0x400000, 0x602000, 0x603000, 0x604000, 0x7f00_0000_0000, 0x7f00_0001_0000, 0x7f00_0001_2000])
        #expect(mappings.map(\.length) == [0x2000, 0x1000, 0x1000, 0x1000, 0x10000, 0x1000, 0x1000])
        #expect(mappings.map(\.writable) == [false, false, false, true, false, false, false])
        #expect(mappings.map(\.privatelyWrittenKB) == [0, 4, 8, 0, 0, 0, nil])
    }

    /// The pages go once per quiet spell: not while requests arrive, not again while none do,
    /// and not at all if none came since the start-up release.
    @Test func aQuietSpellAfterTrafficReleasesOnce() {
        var watch = QuietWatch(activity: 5)
        let counts = [5, 5, 9, 40, 40, 40, 41, 41, 41]
        let spells = counts.map { watch.observe(activity: $0) }
        #expect(spells == [.stillQuiet, .stillQuiet, .serving, .serving, .quietSinceNow, .stillQuiet, .serving, .quietSinceNow, .stillQuiet])
    }

    /// The mappings of the files whose path contains `name` that are read-only and hold no
    /// written page: their address range and resident KiB.
    private func readOnlyMappings(ofFile name: String) -> [(range: Range<UInt>, residentKB: Int)] {
        guard let smaps = ColdPages.procFile("/proc/self/smaps") else { return [] }
        var found: [(range: Range<UInt>, residentKB: Int, written: Bool)] = []
        var inFile = false
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.first?.contains("-") == true, fields.count >= 5 {
                // Readable and not writable: not the `---p` gaps between segments either.
                inFile = fields.count >= 6 && fields[5].contains(name) && fields[1].hasPrefix("r") && !fields[1].contains("w")
                let bounds = fields[0].split(separator: "-").compactMap { UInt($0, radix: 16) }
                if inFile, bounds.count == 2 { found.append((bounds[0]..<bounds[1], 0, false)) }
            } else if inFile, fields.first == "Rss:", fields.count >= 2 {
                found[found.count - 1].residentKB = Int(fields[1]) ?? 0
            } else if inFile, fields.first == "Anonymous:", fields.count >= 2 {
                found[found.count - 1].written = fields[1] != "0"
            }
        }
        return found.filter { !$0.written }.map { ($0.range, $0.residentKB) }
    }

    private func residentReadOnlyKB(ofFile name: String) -> Int {
        readOnlyMappings(ofFile: name).reduce(0) { $0 + $1.residentKB }
    }

    /// Reads a byte of every page of those mappings, as running the library's code would, and
    /// returns their sum (the first page starts with the ELF magic number, so it is not 0).
    private func touchReadOnlyPages(ofFile name: String) -> Int {
        var sum = 0
        for mapping in readOnlyMappings(ofFile: name) {
            for address in stride(from: mapping.range.lowerBound, to: mapping.range.upperBound, by: 4096) {
                sum &+= Int(UnsafeRawPointer(bitPattern: address)!.load(as: UInt8.self))
            }
        }
        return sum
    }
}
