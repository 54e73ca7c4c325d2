import HTTPKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Field rules of CONTRACT §2 that only profiles use.
enum ProfileRules {
    /// `^\+?[0-9 ()-]{7,20}$` with at least 7 digits.
    static let phone = FieldRule<String>.matching(#"^\+?[0-9 ()-]{7,20}$"#, length: 7...21, message: "must be a phone number")
        .checked { value in value.filter(\.isNumber).count < 7 ? "must have at least 7 digits" : nil }

    /// ISO 639-1: two lower-case letters.
    static let language = FieldRule<String>.matching("^[a-z]{2}$", length: 2...2, message: "must be an ISO 639-1 language code")

    /// ISO 4217: three upper-case letters.
    static let currency = FieldRule<String>.matching("^[A-Z]{3}$", length: 3...3, message: "must be an ISO 4217 currency code")

    /// `YYYY-MM-DD`, a real date, in the past, at least 16 years before `today`.
    static func dateOfBirth(today: Date) -> FieldRule<String> {
        FieldRule<String>.matching(#"^\d{4}-\d{2}-\d{2}$"#, length: 10...10, message: "must be a date (YYYY-MM-DD)")
            .checked { value in
                guard let date = CalendarDate(value) else { return "must be a real date (YYYY-MM-DD)" }
                let now = CalendarDate(today)
                guard date < now else { return "must be in the past" }
                guard date <= now.addingYears(-16) else { return "must be at least 16 years ago" }
                return nil
            }
    }
}

/// A day in the proleptic Gregorian calendar, compared field by field (no time zones).
struct CalendarDate: Comparable {
    let year: Int, month: Int, day: Int

    init?(_ text: String) {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...12).contains(parts[1]), parts[0] >= 1900 else { return nil }
        let (year, month, day) = (parts[0], parts[1], parts[2])
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    init(_ date: Date) {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        year = parts.year!
        month = parts.month!
        day = parts.day!
    }

    private init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The same day `years` later (29 February becomes 28 February in other years).
    func addingYears(_ years: Int) -> CalendarDate {
        let target = year + years
        let leap = target % 4 == 0 && (target % 100 != 0 || target % 400 == 0)
        return CalendarDate(year: target, month: month, day: month == 2 && day == 29 && !leap ? 28 : day)
    }

    static func < (a: CalendarDate, b: CalendarDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }
}
