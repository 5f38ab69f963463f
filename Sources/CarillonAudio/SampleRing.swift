import Synchronization

/// A single-producer, single-consumer ring of float samples.
///
/// The feeder thread writes, one output thread reads; neither blocks nor allocates.
final class SampleRing: @unchecked Sendable {
    let capacity: Int
    private let mask: Int
    private let storage: UnsafeMutablePointer<Float>
    /// Samples ever written; only the producer stores it.
    private let written = Atomic<Int>(0)
    /// Samples ever read; only the consumer stores it.
    private let consumed = Atomic<Int>(0)

    /// Makes a ring of at least `minimumCapacity` samples, rounded up to a power of two.
    init(minimumCapacity: Int) {
        var size = 1024
        while size < minimumCapacity { size <<= 1 }
        capacity = size
        mask = size - 1
        storage = .allocate(capacity: size)
        storage.initialize(repeating: 0, count: size)
    }

    deinit { storage.deallocate() }

    /// Samples ready to read.
    var available: Int { written.load(ordering: .acquiring) - consumed.load(ordering: .relaxed) }
    /// Room left to write.
    var free: Int { capacity - (written.load(ordering: .relaxed) - consumed.load(ordering: .acquiring)) }

    /// Producer: copies up to `count` samples in; returns how many fitted.
    @discardableResult
    func write(_ source: UnsafePointer<Float>, count: Int) -> Int {
        let head = written.load(ordering: .relaxed)
        let n = min(count, capacity - (head - consumed.load(ordering: .acquiring)))
        guard n > 0 else { return 0 }
        let start = head & mask
        let first = min(n, capacity - start)
        (storage + start).update(from: source, count: first)
        if n > first { storage.update(from: source + first, count: n - first) }
        written.store(head + n, ordering: .releasing)
        return n
    }

    /// Consumer: copies up to `count` samples out; returns how many.
    func read(into destination: UnsafeMutablePointer<Float>, count: Int) -> Int {
        let tail = consumed.load(ordering: .relaxed)
        let n = min(count, written.load(ordering: .acquiring) - tail)
        guard n > 0 else { return 0 }
        let start = tail & mask
        let first = min(n, capacity - start)
        destination.update(from: storage + start, count: first)
        if n > first { (destination + first).update(from: storage, count: n - first) }
        consumed.store(tail + n, ordering: .releasing)
        return n
    }
}
