import Foundation
import ServiceKit
import Testing

/// Jobs' cron schedules: 5 fields in UTC, the next matching minute strictly after a date.
@Suite struct CronScheduleTests {
    /// A UTC instant written as ISO 8601 (`2026-11-25T12:00:00Z`).
    func utc(_ text: String) -> Date {
        ISO8601DateFormatter().date(from: text)!
    }

    @Test func aWeekdayAndHourRunOnTheNextSuchDay() throws {
        let sundayThree = try CronSchedule("0 3 * * 0")
        #expect(sundayThree.next(after: utc("2026-11-25T12:00:00Z")) == utc("2026-11-29T03:00:00Z"))
    }

    @Test func aStepOfHoursRunsAtTheNextMultiple() throws {
        let everySix = try CronSchedule("0 */6 * * *")
        #expect(everySix.next(after: utc("2026-11-25T12:00:00Z")) == utc("2026-11-25T18:00:00Z"))
    }

    /// Seconds past the minute must not skip the next slot.
    @Test func secondsPastTheMinuteDoNotSkipTheNextSlot() throws {
        let sundayThree = try CronSchedule("0 3 * * 0")
        #expect(sundayThree.next(after: utc("2026-11-29T02:59:30Z")) == utc("2026-11-29T03:00:00Z"))
    }

    @Test func theNextRunIsStrictlyAfterAndCrossesIntoTheNextYear() throws {
        let daily = try CronSchedule("0 2 * * *")
        #expect(daily.next(after: utc("2026-12-31T02:00:00Z")) == utc("2027-01-01T02:00:00Z"))
    }

    @Test func aStepOfMinutesRunsAtTheNextMultipleEvenInTheNextYear() throws {
        let everyFive = try CronSchedule("*/5 * * * *")
        #expect(everyFive.next(after: utc("2026-11-25T12:03:10Z")) == utc("2026-11-25T12:05:00Z"))
        #expect(everyFive.next(after: utc("2026-12-31T23:58:00Z")) == utc("2027-01-01T00:00:00Z"))
    }

    /// Both day fields restricted: the 1st of a month or a Monday, whichever comes first.
    @Test func bothDayFieldsRestrictedRunOnADayMatchingEither() throws {
        let firstOrMonday = try CronSchedule("0 12 1 * 1")
        #expect(firstOrMonday.next(after: utc("2026-11-25T13:00:00Z")) == utc("2026-11-30T12:00:00Z"))
        #expect(firstOrMonday.next(after: utc("2026-11-30T12:00:00Z")) == utc("2026-12-01T12:00:00Z"))
    }

    /// A day field that starts with `*` makes both count: an odd day that is a Monday.
    @Test func aStarredDayFieldMakesADayMatchBoth() throws {
        let oddMonday = try CronSchedule("0 0 */2 * 1")
        #expect(oddMonday.next(after: utc("2026-11-25T12:00:00Z")) == utc("2026-12-07T00:00:00Z"))
    }

    /// Both day fields together may wait decades: 29 February on a Sunday, 2032 then 2060.
    @Test func bothDayFieldsTogetherMayWaitDecades() throws {
        let leapSunday = try CronSchedule("0 0 29 2 */7")
        #expect(leapSunday.next(after: utc("2032-03-01T00:00:00Z")) == utc("2060-02-29T00:00:00Z"))
    }

    /// 7 is Sunday, as 0 is.
    @Test func sevenIsSundayAsZeroIs() throws {
        #expect(try CronSchedule("0 9 * * 7").next(after: utc("2026-11-25T12:00:00Z")) == utc("2026-11-29T09:00:00Z"))
    }

    @Test func aLeapDayTwoYearsAwayIsFound() throws {
        let leapDay = try CronSchedule("30 6 29 2 *")
        #expect(leapDay.next(after: utc("2026-03-01T00:00:00Z")) == utc("2028-02-29T06:30:00Z"))
    }

    @Test func aDayThatNeverComesIsNever() throws {
        #expect(try CronSchedule("0 0 30 2 *").next(after: utc("2026-03-01T00:00:00Z")) == .distantFuture)
    }

    @Test func aValueOutOfItsFieldsRangeIsRefused() {
        #expect(throws: CronError.self) { try CronSchedule("61 * * * *") }
    }

    @Test func anExpressionWithoutFiveFieldsIsRefused() {
        #expect(throws: CronError.self) { try CronSchedule("* * *") }
    }
}
