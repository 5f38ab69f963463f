import CarillonTOML
import Testing

@Suite("Dates and times")
struct DateTimeTests {
    let date = TOMLDate(year: 1979, month: 5, day: 27)

    @Test func offsetDateTimeWithZuluAndNumericOffsets() throws {
        #expect(try value("1979-05-27T07:32:00Z")
            == .dateTime(TOMLDateTime(date: date, time: TOMLTime(hour: 7, minute: 32, second: 0), offsetSeconds: 0)))
        #expect(try value("1979-05-27T00:32:00-07:00")
            == .dateTime(TOMLDateTime(date: date, time: TOMLTime(hour: 0, minute: 32, second: 0), offsetSeconds: -25200)))
        #expect(try value("1979-05-27T00:32:00.999999+05:30")
            == .dateTime(
                TOMLDateTime(
                    date: date, time: TOMLTime(hour: 0, minute: 32, second: 0, nanosecond: 999_999_000),
                    offsetSeconds: 19800)))
    }

    @Test func spaceAndLowerCaseSeparatorsAreAccepted() throws {
        let expected = TOMLNode.Value.dateTime(
            TOMLDateTime(date: date, time: TOMLTime(hour: 7, minute: 32, second: 0), offsetSeconds: 0))
        #expect(try value("1979-05-27 07:32:00Z") == expected)
        #expect(try value("1979-05-27t07:32:00z") == expected)
        #expect(try rendered("a = 1979-05-27 07:32:00 # comment\nb = 1979-05-27 # date only")
            == "{a: 1979-05-27T07:32:00, b: 1979-05-27}")
    }

    @Test func localDateTimeHasNoOffset() throws {
        #expect(try value("1979-05-27T07:32:00")
            == .dateTime(TOMLDateTime(date: date, time: TOMLTime(hour: 7, minute: 32, second: 0))))
        #expect(try value("1979-05-27T00:32:00.999999")
            == .dateTime(TOMLDateTime(date: date, time: TOMLTime(hour: 0, minute: 32, second: 0, nanosecond: 999_999_000))))
    }

    @Test func localDateAndLocalTime() throws {
        #expect(try value("2026-09-01") == .date(TOMLDate(year: 2026, month: 9, day: 1)))
        #expect(try value("07:32:00") == .time(TOMLTime(hour: 7, minute: 32, second: 0)))
        #expect(try value("07:32:00.999") == .time(TOMLTime(hour: 7, minute: 32, second: 0, nanosecond: 999_000_000)))
    }

    @Test func fractionalSecondsBeyondNanosecondsAreTruncated() throws {
        #expect(try value("00:00:00.1234567899") == .time(TOMLTime(hour: 0, minute: 0, second: 0, nanosecond: 123_456_789)))
    }

    @Test func leapDaysAndLeapSecondsAreValid() throws {
        #expect(try value("2024-02-29") == .date(TOMLDate(year: 2024, month: 2, day: 29)))
        #expect(try value("2000-02-29") == .date(TOMLDate(year: 2000, month: 2, day: 29)))
        #expect(try value("23:59:60") == .time(TOMLTime(hour: 23, minute: 59, second: 60)))
    }

    @Test(arguments: [
        ("1900-02-29", "day must be between 01 and 28"), ("2023-02-29", "day must be between 01 and 28"),
        ("2023-04-31", "between 01 and 30"), ("2023-01-32", "between 01 and 31"), ("2023-01-00", "day must be"),
        ("2023-13-01", "month must be between 01 and 12"), ("2023-00-10", "month must be"),
        ("24:00:00", "hour must be between 00 and 23"), ("12:60:00", "minute must be between 00 and 59"),
        ("12:00:61", "second must be between 00 and 60"), ("07:32", "requires seconds"),
        ("1979-05-27T07:32Z", "requires seconds"), ("1979-5-27", "expected the form YYYY-MM-DD"),
        ("1979-05-27T07:32:00+24:00", "offset must be between"), ("1979-05-27T07:32:00+0700", "+HH:MM"),
        ("1979-05-27T07:32:00-07:60", "offset must be between"), ("07:32:00Z", "cannot have an offset"),
        ("1979-05-27T07:32:00.", "expected digits after the decimal point"),
        ("1979-05-27X07:32:00", "expected `T` or a space"), ("1979-05-27T7:32:00", "HH:MM:SS"),
        ("1979-05-27T07:32:00Zjunk", "expected `Z` or an offset"),
    ])
    func outOfRangeOrMalformedDatesAndTimesAreRejected(literal: String, fragment: String) {
        expectError("v = \(literal)", line: 1, column: 5, fragment)
    }

    @Test func descriptionsUseTOMLForm() {
        let time = TOMLTime(hour: 7, minute: 5, second: 9, nanosecond: 500_000_000)
        #expect(time.description == "07:05:09.5")
        #expect(TOMLDate(year: 26, month: 9, day: 1).description == "0026-09-01")
        #expect(TOMLDateTime(date: date, time: time, offsetSeconds: -25200).description == "1979-05-27T07:05:09.5-07:00")
        #expect(TOMLDateTime(date: date, time: time).description == "1979-05-27T07:05:09.5")
        #expect(TOMLDate(year: 2026, month: 1, day: 2) < TOMLDate(year: 2026, month: 2, day: 1))
    }
}
