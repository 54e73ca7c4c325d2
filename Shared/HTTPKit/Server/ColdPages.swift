#if canImport(Glibc)
import CLoadedObjects
import Glibc
#endif
import Foundation
import EventBus
import Logging
import Synchronization

/// Hands back the memory a server touched once and does not use now: after its start-up, and
/// again whenever it goes quiet after serving.
///
/// A start-up runs code from all over the 30 MB binary once (argument parsing, configuration,
/// migrations, the router's construction, the Kafka and Postgres handshakes), and the kernel maps
/// every read fault's whole 64 KiB neighbourhood (fault-around). So a server that has just started
/// holds about 31 MB of its own code, although its idle work then faults code in at only about
/// 140 places (measured: docs/performance.md). Serving traffic does the same on a smaller scale:
/// code of Foundation, dispatch and the C libraries that the linker cannot lay out together
/// (docs/performance.md) comes back in 64 KiB blocks and stays mapped after the traffic ends.
/// `MADV_PAGEOUT` on the process's file-backed mappings reclaims those pages at once instead of
/// when the machine runs short; code that runs again comes back on its first use (a page fault,
/// from the page cache or the disk). Only clean file pages go: pages the process wrote
/// (relocated data, the heap) stay. The kernel pages out only pages of files the process owns
/// or may write (which is why the images' binaries belong to the user that runs them) and that
/// no other process maps; the C libraries' pages, which the four servers share, are instead
/// unmapped from this process (`MADV_DONTNEED`, on the loaded objects' read-only segments) and
/// stay in the page cache for the others.
/// Linux 5.4 or later; elsewhere it does nothing.
public enum ColdPages {
    /// `MADV_PAGEOUT` (linux/mman.h); Glibc's module does not export it everywhere.
    static let adviceToPageOut: Int32 = 21

    /// Pages out the process's file-backed mappings, then unmaps the shared-library pages that
    /// could not go. Returns how many bytes of mappings the kernel accepted the advice for (0
    /// where it is not supported).
    @discardableResult
    public static func release() -> Int {
        #if os(Linux)
        guard let smaps = procFile("/proc/self/smaps") else { return 0 }
        let mappings = FileMapping.parse(smaps: smaps)
        var advised = 0
        for mapping in mappings where madvise(mapping.start, mapping.length, adviceToPageOut) == 0 {
            advised += mapping.length
        }
        unmapLoadedObjectsPages(in: mappings.filter { !$0.writable && $0.privatelyWrittenKB == 0 })
        return advised
        #else
        return 0
        #endif
    }

    #if os(Linux)
    /// `MADV_PAGEOUT` leaves a page that another process maps too: the C libraries' code, which
    /// every server (and libc's, which every process) maps. Dropping this process's page-table
    /// entries for it leaves the page in the page cache for the others, and a later use here
    /// maps it back from there without reading the disk. That is safe only where the mapping
    /// holds no page of the process's own (`eligible`: not writable, no written copy-on-write
    /// page resident or swapped out; the dynamic linker writes relocations into mappings it then
    /// makes read-only), and only while the mapping is still the one smaps described. So only
    /// the read-only segments of the objects the dynamic linker loaded go, and under its lock
    /// (`dl_iterate_phdr` holds it), which no `dlclose` can pass to unmap them meanwhile;
    /// a range another thread unmapped since, and some allocation reused, is never touched.
    private static func unmapLoadedObjectsPages(in eligible: [FileMapping]) {
        var ranges = eligible.map { UInt(bitPattern: $0.start)..<(UInt(bitPattern: $0.start) + UInt($0.length)) }
        _ = withUnsafeMutablePointer(to: &ranges) { pointer in
            dl_iterate_phdr({ info, _, data in
                guard let object = info?.pointee, let headers = object.headers,
                      let eligible = data?.assumingMemoryBound(to: [Range<UInt>].self).pointee
                else { return 0 }
                let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
                // The program headers are read first: they lie in the object's first page,
                // which the advice may unmap, and reading them after would map it back.
                let segments = UnsafeBufferPointer(start: headers, count: Int(object.header_count))
                    .filter { $0.p_type == PT_LOAD && $0.p_flags & UInt32(PF_W) == 0 }
                    .map { header in
                        // Wrapping: `address` is the load bias, which may be "negative".
                        let start = UInt(object.address) &+ UInt(header.p_vaddr)
                        return (start & ~(page - 1))..<((start + UInt(header.p_memsz) + page - 1) & ~(page - 1))
                    }
                for segment in segments {
                    for range in eligible where range.overlaps(segment) {
                        let part = range.clamped(to: segment)
                        _ = madvise(UnsafeMutableRawPointer(bitPattern: part.lowerBound), part.count, MADV_DONTNEED)
                    }
                }
                return 0
            }, pointer)
        }
    }
    #endif

    /// Requests served, counted by `EdgeMiddleware` (probes and metrics scrapes excepted), so
    /// that a quiet server can be told from a busy one.
    static let requestsServed = Atomic<Int>(0)

    /// Requests served and batches of events handled: a server that works through events after
    /// its last request (profiles' projections, for one) maps code as much as one that serves.
    static var activity: Int {
        requestsServed.load(ordering: .relaxed) + EventConsumer.batchesHandled.load(ordering: .relaxed)
    }

    /// Releases the start-up pages once the server has settled (its consumers joined, its
    /// first relay pass and job schedule done), then watches for quiet spells.
    static func releaseWhenSettledAndWhenQuiet(settle: Duration, quiet: Duration, logger: Logger) async {
        guard (try? await Task.sleep(for: settle)) != nil else { return }
        releaseAndLog("start-up pages released", logger: logger)
        var watch = QuietWatch(activity: activity)
        while (try? await Task.sleep(for: quiet)) != nil {
            switch watch.observe(activity: activity) {
            case .serving: break
            case .quietSinceNow: releaseAndLog("pages released after traffic", logger: logger)
            // The gateway keeps its idle connections to the server open for a minute (nginx's
            // upstream keepalive) and their buffers are freed only when they close, after the
            // pages were released; the heap they held goes back at the next look.
            case .stillQuiet: _ = mallocTrim(0)
            }
        }
    }

    /// glibc's `malloc_trim` (malloc.h), which the Glibc module does not import: gives the
    /// free pages of every malloc arena back, where glibc keeps them otherwise.
    @_silgen_name("malloc_trim")
    private static func mallocTrim(_ pad: Int) -> Int32

    private static func releaseAndLog(_ message: Logger.Message, logger: Logger) {
        let before = kilobytes("VmRSS")
        release()
        _ = mallocTrim(0)
        logger.info(message, metadata: ["rssBeforeMB": "\(before >> 10)", "rssAfterMB": "\(kilobytes("VmRSS") >> 10)"])
    }

    /// One of the process's memory figures from `/proc/self/status` (`VmRSS`, `RssFile`, …), in KiB.
    public static func kilobytes(_ field: String) -> Int {
        guard let status = procFile("/proc/self/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") })
        else { return 0 }
        return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) } ?? 0
    }

    /// A file of /proc, read to its end (they state their size as 0, which file readers trust).
    static func procFile(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return (try? handle.readToEnd()).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Decides when a server has gone quiet: it looks at its activity count (requests and event
/// batches) once a period, and a period without activity that follows one with some starts a
/// quiet spell. The pages go once per spell, so that an idle server does not page its idle
/// work out again and again.
struct QuietWatch {
    enum Spell: Equatable { case serving, quietSinceNow, stillQuiet }

    private var seen: Int
    /// The start-up release has just run, so a server that serves nothing needs no other.
    private var quiet = true

    init(activity: Int) { seen = activity }

    mutating func observe(activity: Int) -> Spell {
        if activity != seen {
            seen = activity
            quiet = false
            return .serving
        }
        if quiet { return .stillQuiet }
        quiet = true
        return .quietSinceNow
    }
}

/// A mapping of a file in `/proc/self/smaps`, with what `ColdPages` needs to know about it.
struct FileMapping {
    var start: UnsafeMutableRawPointer
    var length: Int
    var writable: Bool
    /// Pages the process wrote into a private file mapping: its `Anonymous:` figure, and its
    /// `Swap:` figure for such pages swapped out; nil if smaps did not say.
    var privatelyWrittenKB: Int?

    /// Each mapping's header line ("start-end perms offset dev inode path") is followed by its
    /// figures; only mappings of a file have a path that starts with "/".
    static func parse(smaps: String) -> [FileMapping] {
        var mappings: [FileMapping] = []
        var current: FileMapping?
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if first.contains("-"), fields.count >= 5 {
                if let done = current { mappings.append(done) }
                current = nil
                let bounds = first.split(separator: "-").compactMap { UInt($0, radix: 16) }
                guard fields.count >= 6, fields[5].hasPrefix("/"), bounds.count == 2, bounds[1] > bounds[0],
                      let start = UnsafeMutableRawPointer(bitPattern: bounds[0])
                else { continue }
                current = FileMapping(start: start, length: Int(bounds[1] - bounds[0]),
                                      writable: fields[1].contains("w"), privatelyWrittenKB: nil)
            } else if first == "Anonymous:" || first == "Swap:", fields.count >= 2 {
                // A figure that does not parse counts as written: the mapping keeps its pages.
                let written = current?.privatelyWrittenKB ?? 0
                current?.privatelyWrittenKB = written + (Int(fields[1]) ?? 1)
            }
        }
        if let done = current { mappings.append(done) }
        return mappings
    }
}
