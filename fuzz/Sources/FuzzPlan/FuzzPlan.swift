import CLibFuzzer
import CarillonCore

/// Any bytes as an emergency plan file, checked as the daemon checks one: against its zones and the
/// category of each library clip. The first byte picks the plan's name, so that a badly named file
/// is exercised too.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    let name = names[Int(bytes.first ?? 0) % names.count]
    do {
        let plan = try Plan.parse(Array(bytes.dropFirst()), file: "plans/\(name).toml", name: name, context: context)
        _ = plan.steps.count + plan.intro.count
    } catch {
        _ = error.description
    }
    return 0
}

private let names = ["fire", "earthquake", "lockdown-2", "Fire", "-x", ""]

private let categories: [String: ClipCategory] = [
    "alarm.fire": .alarm, "alarm.siren": .alarm, "bell.start": .bell, "tip.fire.001": .tip, "message.evacuate": .message,
]

private let context = PlanContext(
    zones: ["main", "teaching", "dormitory", "playground"], clipCategory: { categories[$0] })

/// The executable's entry: SwiftPM links `main` to `FuzzPlan_main`; libFuzzer parses the arguments.
@_cdecl("FuzzPlan_main")
public func run(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
