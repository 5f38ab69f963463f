/// Collects the parts that must be up before the daemon tells systemd it is ready.
actor Readiness {
    enum Part: Hashable { case control, signals, web }

    private var pending: Set<Part>
    private let onReady: @Sendable () -> Void

    init(waitingFor parts: Set<Part>, onReady: @escaping @Sendable () -> Void) {
        pending = parts
        self.onReady = onReady
    }

    func ready(_ part: Part) {
        guard pending.remove(part) != nil, pending.isEmpty else { return }
        onReady()
    }
}
