import Testing
import LBKernel

/// Day counts and dates, checked against dates whose day counts are known, and round trips over 800 years.
struct CivilCalendarTests {
    @Test(arguments: [
        (Int64(0), Int64(1970), Int64(1), Int64(1)), (-1, 1969, 12, 31), (11_016, 2000, 2, 29),
        (20_786, 2026, 11, 29), (-719_468, 0, 3, 1), (2_932_896, 9999, 12, 31),
    ])
    func knownDates(days: Int64, year: Int64, month: Int64, day: Int64) {
        #expect(CivilCalendar.date(daysSinceEpoch: days) == (year, month, day))
        #expect(CivilCalendar.days(year: year, month: month, day: day) == days)
    }

    @Test func everyDayOfEightCenturiesRoundTrips() {
        var previous: (year: Int64, month: Int64, day: Int64)?
        for days in Int64(-146_097)...Int64(146_097) {
            let date = CivilCalendar.date(daysSinceEpoch: days)
            #expect(CivilCalendar.days(year: date.year, month: date.month, day: date.day) == days)
            if let previous, previous.month == date.month {
                #expect(date.day == previous.day + 1)
            }
            previous = date
        }
    }
}
