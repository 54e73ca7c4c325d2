#if canImport(Glibc)
import Glibc
#endif

/// The process metrics Prometheus's own clients export (`process_*`), read from `/proc` at each
/// scrape: four numbers every 15 s cost nothing, where handles updated in the background would.
struct ProcessMetrics {
    var residentMemoryBytes: Double
    var cpuSeconds: Double
    var openFileDescriptors: Double
    var startTimeSeconds: Double

    static func read() -> ProcessMetrics {
        let stat = ProcStat.current()
        return ProcessMetrics(
            residentMemoryBytes: stat.map { Double($0.residentPages) * Double(sysconf(Int32(_SC_PAGESIZE))) } ?? 0,
            cpuSeconds: stat.map { Double($0.userTicks + $0.systemTicks) / ticksPerSecond } ?? 0,
            openFileDescriptors: Double(countEntries(of: "/proc/self/fd")),
            startTimeSeconds: startTime
        )
    }

    func emit(into buffer: inout [UInt8]) {
        func metric(_ name: String, _ type: String, _ help: String, _ value: Double) {
            buffer.append(contentsOf: "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n".utf8)
        }
        metric("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", residentMemoryBytes)
        metric("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpuSeconds)
        metric("process_open_fds", "gauge", "Number of open file descriptors.", openFileDescriptors)
        metric("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", startTimeSeconds)
    }

    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// The boot time (`btime` of /proc/stat) plus the process's start in ticks after boot.
    private static let startTime: Double = {
        let bootTime = TextFile.read("/proc/stat")?.split(separator: "\n").first { $0.hasPrefix("btime ") }
            .flatMap { Double($0.dropFirst("btime ".count)) }
        guard let bootTime, let stat = ProcStat.current() else { return 0 }
        return bootTime + Double(stat.startTicks) / ticksPerSecond
    }()

    /// The fields of /proc/self/stat this needs (proc(5)); the command name in parentheses may
    /// hold spaces, so fields are counted from the last `)`.
    private struct ProcStat {
        var userTicks: Int
        var systemTicks: Int
        var startTicks: Int
        var residentPages: Int

        static func current() -> ProcStat? {
            guard let text = TextFile.read("/proc/self/stat"), let end = text.lastIndex(of: ")") else { return nil }
            // Field 3 (state) is the first after the name: field n is at n - 3.
            let fields = text[text.index(after: end)...].split(separator: " ")
            guard fields.count > 21, let user = Int(fields[11]), let system = Int(fields[12]), let start = Int(fields[19]),
                let resident = Int(fields[21])
            else { return nil }
            return ProcStat(userTicks: user, systemTicks: system, startTicks: start, residentPages: resident)
        }
    }

    private static func countEntries(of directory: String) -> Int {
        guard let handle = opendir(directory) else { return 0 }
        defer { closedir(handle) }
        var count = 0
        while let entry = readdir(handle) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in name[0] == UInt8(ascii: ".") }
            if !isDot { count += 1 }
        }
        return count
    }
}
