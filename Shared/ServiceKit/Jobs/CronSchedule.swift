#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A 5-field cron expression in UTC: minute hour day-of-month month day-of-week, each `*`,
/// a number, a range `a-b`, a step `*/n` or `a-b/n`, or a comma list of those. Day of week
/// is 0–6 from Sunday (7 is Sunday too). As in cron (Vixie cron, cronie), when both day fields
/// are restricted a day matching either runs; when either starts with `*`, a day must match both.
public struct CronSchedule: Sendable, Equatable, CustomStringConvertible {
    let minutes: Set<Int>, hours: Set<Int>, days: Set<Int>, months: Set<Int>, weekdays: Set<Int>
    /// Whether either day field starts with `*` (`*`, `*/2`): then a day must match both.
    let eitherDayFieldStarred: Bool
    public let description: String

    public init(_ expression: String) throws(CronError) {
        let fields = expression.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5 else { throw CronError("\(expression): expected 5 fields") }
        minutes = try Self.parse(fields[0], 0...59)
        hours = try Self.parse(fields[1], 0...23)
        days = try Self.parse(fields[2], 1...31)
        months = try Self.parse(fields[3], 1...12)
        weekdays = Set(try Self.parse(fields[4], 0...7).map { $0 % 7 })
        eitherDayFieldStarred = fields[2].hasPrefix("*") || fields[4].hasPrefix("*")
        description = expression
    }

    /// The first minute strictly after `date` that matches. Works in whole days, hours and
    /// minutes of UTC with libc's `gmtime_r`: Foundation's `Calendar` would bring ICU's time-zone
    /// code into every job's wait, and with it a megabyte of pages into an idle server.
    public func next(after date: Date) -> Date {
        // The start of the next whole minute.
        var candidate = time_t((date.timeIntervalSince1970 / 60).rounded(.down) + 1) * 60
        // Every pattern of days recurs within the Gregorian calendar's 400-year cycle; a match
        // may be decades away (29 February on a Monday: 2044, then 2072); a 30 February never
        // comes. A day that does not match costs one step, so that is 146,097 at most.
        let limit = candidate + 146_097 * 86_400
        var parts = tm()
        while candidate < limit {
            gmtime_r(&candidate, &parts)
            let hour = Int(parts.tm_hour)
            let minute = Int(parts.tm_min)
            if !dayMatches(day: Int(parts.tm_mday), month: Int(parts.tm_mon) + 1, weekday: Int(parts.tm_wday)) {
                candidate += time_t(((24 - hour) * 60 - minute) * 60)
            } else if !hours.contains(hour) {
                candidate += time_t((60 - minute) * 60)
            } else if !minutes.contains(minute) {
                candidate += 60
            } else {
                return Date(timeIntervalSince1970: Double(candidate))
            }
        }
        return .distantFuture
    }

    private func dayMatches(day: Int, month: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        return eitherDayFieldStarred
            ? days.contains(day) && weekdays.contains(weekday)
            : days.contains(day) || weekdays.contains(weekday)
    }

    private static func parse(_ field: String, _ bounds: ClosedRange<Int>) throws(CronError) -> Set<Int> {
        var values = Set<Int>()
        for part in field.split(separator: ",") {
            let pieces = part.split(separator: "/", maxSplits: 1)
            let step = pieces.count == 2 ? Int(pieces[1]) : 1
            guard let step, step > 0 else { throw CronError("\(field): bad step") }
            let range: ClosedRange<Int>
            if pieces[0] == "*" {
                range = bounds
            } else if let dash = pieces[0].firstIndex(of: "-") {
                guard let low = Int(pieces[0][..<dash]), let high = Int(pieces[0][pieces[0].index(after: dash)...]), low <= high else {
                    throw CronError("\(field): bad range")
                }
                range = low...high
            } else {
                guard let value = Int(pieces[0]) else { throw CronError("\(field): not a number") }
                range = value...(pieces.count == 2 ? bounds.upperBound : value)
            }
            guard bounds.contains(range.lowerBound), bounds.contains(range.upperBound) else {
                throw CronError("\(field): outside \(bounds.lowerBound)-\(bounds.upperBound)")
            }
            values.formUnion(stride(from: range.lowerBound, through: range.upperBound, by: step))
        }
        return values
    }
}

public struct CronError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
