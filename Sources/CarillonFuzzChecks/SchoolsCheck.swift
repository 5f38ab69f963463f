import CarillonControl

/// Any bytes as the bureau's schools file (`School.parse`). Every school it accepts has a usable
/// address, and writes back (`csvRow`) to a row that reads back as the same school: the report of
/// failed schools that `bundle push` writes is fed to it again.
enum SchoolsCheck {
    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard let text = String(validating: input, as: UTF8.self) else { return }
        let schools: [School]
        do { schools = try School.parse(text, path: "schools.csv", directory: "/srv/bureau") } catch {
            guard error.line >= 0, !error.message.isEmpty else { throw FuzzFinding("an error without a line or message: \(error)") }
            return
        }
        for school in schools {
            guard case .tcp(let host, let port) = school.controlAddress, !host.isEmpty, (1...65535).contains(port) else {
                throw FuzzFinding("accepted the address \(school.controlAddress) for \(school.id)")
            }
            let row = School.csvText([school])
            let again: [School]
            do { again = try School.parse(row, path: "row.csv", directory: "/elsewhere") } catch {
                throw FuzzFinding("the row \(row.debugDescription) of \(school.id) does not read back: \(error)")
            }
            var expected = school
            expected.line = 2
            guard again == [expected] else {
                throw FuzzFinding("the row \(row.debugDescription) reads back as \(again), not \(expected)")
            }
        }
    }
}
