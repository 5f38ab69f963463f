import CarillonTOML
import Testing

@Suite("Integers, floats and booleans")
struct NumberTests {
    @Test(arguments: [
        ("+99", 99), ("42", 42), ("0", 0), ("-17", -17), ("+0", 0), ("-0", 0),
        ("1_000", 1000), ("5_349_221", 5_349_221), ("53_49_221", 5_349_221), ("1_2_3_4_5", 12345),
        ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min),
        ("0xDEADBEEF", 0xDEAD_BEEF), ("0xdeadbeef", 0xDEAD_BEEF), ("0xdead_beef", 0xDEAD_BEEF), ("0x00ff", 255),
        ("0x7FFFFFFFFFFFFFFF", Int64.max), ("0o01234567", 0o1234567), ("0o755", 0o755), ("0b11010110", 0b1101_0110),
        ("0b1_0", 2),
    ] as [(String, Int64)])
    func integersInEveryRadix(literal: String, expected: Int64) throws {
        #expect(try value(literal) == .integer(expected))
    }

    @Test(arguments: [
        ("01", "leading zeros"), ("+01", "leading zeros"), ("-0_1", "leading zeros"), ("0_0", "leading zeros"),
        ("1__2", "underscore must be between two digits"), ("_1", "expected a value"), ("1_", "underscore"),
        ("0x_1", "underscore"), ("0x1_", "underscore"), ("0x1__2", "underscore"),
        ("+0x1", "cannot have a sign"), ("-0b1", "cannot have a sign"), ("0X1", "invalid number"),
        ("0xG", "is not a valid hexadecimal digit"), ("0o8", "is not a valid octal digit"), ("0b2", "is not a valid binary digit"),
        ("0x", "expected hexadecimal digits"), ("1x", "invalid number"), ("+", "expected a digit"),
        ("9223372036854775808", "does not fit in 64 bits"), ("-9223372036854775809", "does not fit in 64 bits"),
        ("0x8000000000000000", "does not fit in 64 bits"), ("0b" + String(repeating: "1", count: 64), "does not fit"),
    ])
    func malformedIntegersAreRejected(literal: String, fragment: String) {
        expectError("v = \(literal)", line: 1, column: 5, fragment)
    }

    @Test(arguments: [
        ("+1.0", 1.0), ("3.1415", 3.1415), ("-0.01", -0.01), ("5e+22", 5e22), ("1e06", 1e6), ("-2E-2", -0.02),
        ("6.626e-34", 6.626e-34), ("224_617.445_991_228", 224_617.445_991_228), ("1e1_0", 1e10), ("0e0", 0),
        ("0.0", 0), ("1E2", 100), ("9_224_617.445_991_228_313", 9_224_617.445_991_228_313),
        ("inf", .infinity), ("+inf", .infinity), ("-inf", -.infinity),
    ] as [(String, Double)])
    func floatsInEveryForm(literal: String, expected: Double) throws {
        #expect(try value(literal) == .float(expected))
    }

    @Test func nanKeepsItsSign() throws {
        for (literal, sign) in [("nan", FloatingPointSign.plus), ("+nan", .plus), ("-nan", .minus)] {
            guard case .float(let float)? = try value(literal) else {
                Issue.record("\(literal) is not a float")
                continue
            }
            #expect(float.isNaN)
            #expect(float.sign == sign)
        }
    }

    @Test func negativeZeroIsNegative() throws {
        guard case .float(let float)? = try value("-0.0") else { throw TestFailure() }
        #expect(float == 0 && float.sign == .minus)
    }

    @Test(arguments: [
        (".7", "expected a value"), ("7.", "expected digits after the decimal point"),
        ("3.e+20", "expected digits after the decimal point"), ("1e", "expected digits in the exponent"),
        ("1e_1", "expected digits in the exponent"), ("1._2", "expected digits after the decimal point"),
        ("01.5", "leading zeros"), ("1.5_", "underscore"), ("1__0.0", "underscore"), ("1.0e1__0", "underscore"),
        ("Inf", "lower case"), ("NaN", "lower case"), ("1e400", "out of range"), ("1.0.0", "invalid number"),
        ("+-1.0", "expected a digit"), ("1.0e+", "exponent"), ("infinity", "strings must be quoted"),
    ])
    func malformedFloatsAreRejected(literal: String, fragment: String) {
        expectError("v = \(literal)", line: 1, column: 5, fragment)
    }

    @Test func booleansAreLowerCase() throws {
        #expect(try value("true") == .boolean(true))
        #expect(try value("false") == .boolean(false))
        expectError("v = True", line: 1, column: 5, "booleans are written in lower case")
        expectError("v = truex", line: 1, column: 5, "invalid value `truex`")
        expectError("v = true false", line: 1, column: 10, "expected a newline after the value")
    }

    @Test func unquotedTextIsNotAString() {
        expectError("name = hello", line: 1, column: 8, "strings must be quoted")
    }
}

struct TestFailure: Error {}
