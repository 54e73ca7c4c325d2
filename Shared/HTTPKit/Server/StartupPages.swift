#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// Hands back the memory a server's start-up touched and its steady state does not use.
///
/// A start-up runs code from all over the 30 MB binary once (argument parsing, configuration,
/// migrations, the router's construction, the Kafka and Postgres handshakes), and the kernel maps
/// every read fault's whole 64 KiB neighbourhood (fault-around). So a server that has just started
/// holds about 31 MB of its own code, although its idle work then faults code in at only about
/// 140 places (measured: docs/performance.md). `MADV_PAGEOUT` on the process's file-backed mappings reclaims those pages
/// at once instead of when the machine runs short; code that runs again comes back on its first
/// use (a page fault, from the page cache or the disk). Only clean file pages go: pages the
/// process wrote (relocated data, the heap) stay, and pages shared with another process stay.
///
/// The kernel allows it only for files the process owns or may write, which is why the images'
/// binaries belong to the user that runs them. Linux 5.4 or later; elsewhere it does nothing.
public enum StartupPages {
    /// `MADV_PAGEOUT` (linux/mman.h); Glibc's module does not export it everywhere.
    static let adviceToPageOut: Int32 = 21

    /// Pages out the process's file-backed mappings. Returns how many bytes of mappings the
    /// kernel accepted the advice for (0 where it is not supported).
    @discardableResult
    public static func release() -> Int {
        #if os(Linux)
        guard let maps = procFile("/proc/self/maps") else { return 0 }
        var advised = 0
        for line in maps.split(separator: "\n") {
            // "start-end perms offset dev inode path": only mappings of a file have a path.
            let fields = line.split(separator: " ")
            guard fields.count >= 6, fields[5].hasPrefix("/") else { continue }
            let bounds = fields[0].split(separator: "-").compactMap { UInt($0, radix: 16) }
            guard bounds.count == 2, bounds[1] > bounds[0],
                  let address = UnsafeMutableRawPointer(bitPattern: bounds[0])
            else { continue }
            let length = Int(bounds[1] - bounds[0])
            if madvise(address, length, adviceToPageOut) == 0 { advised += length }
        }
        return advised
        #else
        return 0
        #endif
    }

    /// Waits until the server has settled (its consumers joined, its first relay pass and job
    /// schedule done), then releases the start-up pages once.
    static func releaseWhenSettled(after delay: Duration, logger: Logger) async {
        guard (try? await Task.sleep(for: delay)) != nil else { return }
        let before = kilobytes("VmRSS")
        release()
        logger.info("start-up pages released", metadata: ["rssBeforeMB": "\(before >> 10)", "rssAfterMB": "\(kilobytes("VmRSS") >> 10)"])
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
