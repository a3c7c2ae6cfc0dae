import Dispatch

/// `body` for every index in `0..<count`, spread over the cores, the results in index order: for
/// searches whose hypotheses are scored independently and then chosen between in a fixed order,
/// so that the choice is the one a loop would make. `body` must only read shared state.
package func parallelMap<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
    guard count > 1 else { return (0..<count).map(body) }
    return withoutActuallyEscaping(body) { body in
        let work = UnsafeSendable(body)
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            let slots = UnsafeSendable(buffer)
            DispatchQueue.concurrentPerform(iterations: count) { i in
                (slots.value.baseAddress! + i).initialize(to: work.value(i))
            }
            initialized = count
        }
    }
}
