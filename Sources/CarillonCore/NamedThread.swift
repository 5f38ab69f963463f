public import Foundation

extension Thread {
    /// Starts `body` on a new thread named `name` as `ps -L`, `top -H` and gdb show it. The name is
    /// set from inside the thread (Foundation on Linux drops one given before `start`) and cut to
    /// the kernel's 15 bytes on a character boundary (a longer one would be refused whole).
    public static func start(named name: String, _ body: @escaping @Sendable () -> Void) {
        var short = ""
        for character in name {
            guard short.utf8.count + String(character).utf8.count <= 15 else { break }
            short.append(character)
        }
        let thread = Thread { [short] in
            Thread.current.name = short
            body()
        }
        thread.start()
    }
}
