import CarillonCore
import CarillonTOML

/// Any bytes as an emergency plan file, checked as the daemon checks one: against its zones and the
/// category of each library clip. The first byte picks the plan's name, so that a badly named file
/// is exercised too.
enum PlanCheck {
    static func run(_ input: [UInt8]) {
        let name = names[Int(input.first ?? 0) % names.count]
        do {
            let plan = try Plan.parse(Array(input.dropFirst()), file: "plans/\(name).toml", name: name, context: context)
            _ = plan.steps.count + plan.intro.count
        } catch {
            _ = error.description
        }
    }

    private static let names = ["fire", "earthquake", "lockdown-2", "Fire", "-x", ""]
    private static let categories: [String: ClipCategory] = [
        "alarm.fire": .alarm, "alarm.siren": .alarm, "bell.start": .bell, "tip.fire.001": .tip, "message.evacuate": .message,
    ]
    private static let context = PlanContext(
        zones: ["main", "teaching", "dormitory", "playground"], clipCategory: { categories[$0] })
}
