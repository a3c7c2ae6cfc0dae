import Dispatch
import Foundation

/// Runs a per-item stage on a Dispatch worker pool and hands results back in submission order.
///
/// At most `maxInFlight` items are between `submit` and being taken back out: `submit` blocks
/// while the pool is full, so memory stays bounded however long the stream is and however
/// uneven the stage's timing. One thread submits and takes results; the stage runs concurrently.
public final class OrderedWorkerPool<Input: Sendable, Output: Sendable>: @unchecked Sendable {
    public typealias Stage = @Sendable (Input, Int) throws -> Output

    private let stage: Stage
    private let queue: DispatchQueue
    private let condition = NSCondition()
    private let maxInFlight: Int
    // Guarded by `condition`.
    private var finished: [Int: Result<Output, Error>] = [:]
    private var inFlight = 0
    private var nextToSubmit = 0
    private var nextToDeliver = 0

    /// - Parameters:
    ///   - width: how many items the stage may process at once (the `--jobs` value).
    ///   - maxInFlight: bound on items submitted but not yet taken back (at least `width`).
    public init(width: Int, maxInFlight: Int? = nil, stage: @escaping Stage) {
        precondition(width >= 1, "a pool needs at least one worker")
        self.stage = stage
        self.maxInFlight = max(width, maxInFlight ?? 2 * width)
        queue = DispatchQueue(label: "framemark.pool", attributes: .concurrent)
        slots = DispatchSemaphore(value: width)
    }

    /// One per worker. Taken by `submit` in submission order, so when item n runs every earlier
    /// item has started too: a stage may wait for an earlier item (see `Turnstile`) without deadlock.
    private let slots: DispatchSemaphore

    /// Submits the next item; blocks while `maxInFlight` items are already in the pool.
    /// Returns the results that became ready, in order.
    public func submit(_ item: Input) throws -> [Output] {
        condition.lock()
        while inFlight >= maxInFlight && finished[nextToDeliver] == nil {
            condition.wait()
        }
        var ready = takeReadyLocked()
        let index = nextToSubmit
        nextToSubmit += 1
        inFlight += 1
        condition.unlock()

        slots.wait()
        queue.async { [self] in
            let result = Result { try stage(item, index) }
            slots.signal()
            condition.lock()
            finished[index] = result
            condition.broadcast()
            condition.unlock()
        }
        condition.lock()
        ready += takeReadyLocked()
        condition.unlock()
        return try ready.map { try $0.get() }
    }

    /// Waits for every submitted item and returns the rest of the results, in order.
    public func finish() throws -> [Output] {
        condition.lock()
        var ready: [Result<Output, Error>] = []
        while nextToDeliver < nextToSubmit {
            while finished[nextToDeliver] == nil { condition.wait() }
            ready += takeReadyLocked()
        }
        condition.unlock()
        return try ready.map { try $0.get() }
    }

    /// Results ready at the front of the order; caller holds the lock.
    private func takeReadyLocked() -> [Result<Output, Error>] {
        var out: [Result<Output, Error>] = []
        while let r = finished.removeValue(forKey: nextToDeliver) {
            out.append(r)
            nextToDeliver += 1
            inFlight -= 1
        }
        return out
    }
}
