import FrameMarkCore
import FrameMarkMedia

/// The tracked read's placing pass: frames read well below the rest of the clip are read again
/// where their pilots place the grid (`GridSearch`; docs/algorithm.md, "Frames placed by their
/// pilots").
extension WatermarkDetection {
    /// The tracked read's frames to look for near their planned grid (`place`): frames with
    /// detail that were not detected, or whose evidence is under half the clip's typical (the
    /// median over detected frames).
    static func framesToPlace(_ v: ClipVerdict) -> Set<Int> {
        let withDetail = v.frames.indices.filter { v.frames[$0].detail >= WatermarkDesign.minimumDetail }
        let strengths = withDetail.filter { v.frames[$0].detected }.map { v.frames[$0].log10PValue }.sorted()
        guard !strengths.isEmpty else { return [] }
        let typical = strengths[strengths.count / 2]
        return Set(withDetail.filter { !v.frames[$0].detected || v.frames[$0].log10PValue > typical / 2 })
    }

    /// The pilot score a frame's searched place must reach to replace its planned one.
    static let placedScore = 5.0

    /// The placing pass: decodes the file again and reads each `wanted` frame where its pilots
    /// score best near the geometry it was planned at (`GridSearch`), when they score better
    /// there than at the plan. Such a frame's verdict is judged again under the clip's hypothesis
    /// and message: its test is on the message's bits, which took no part in choosing where to
    /// read it, so its p-value needs no correction for the search; the clip's p-value is the
    /// first read's, which no searched frame entered.
    func place(_ input: String, _ wanted: Set<Int>, in verdict: inout ClipVerdict, geometries: inout [GlobalMotion],
                       steps: [GridPlan.Step], analyzer: ClipAnalyzer, detector: FrameDetector) throws {
        let reader = try MediaReader(path: input)
        let search = GridSearch(detector: detector)
        let hypothesis = verdict.hypothesis, planned = geometries
        // Each frame's motion: the median, per parameter, of the next 8 frames' fits (a hand-held
        // pan's steps alternate by a pixel, and the first frame after a splice fits across it).
        let fits = steps.map { $0.fit.flatMap { $0.residual <= GridTracker.cutResidual ? $0.motion : nil } }
        let motions: [GlobalMotion?] = fits.indices.map { i in
            let near = fits[min(i + 1, fits.count)..<min(i + 9, fits.count)].compactMap { $0 }
            guard !near.isEmpty else { return fits[i] }
            func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
            return GlobalMotion(scale: median(near.map(\.scale)), dx: median(near.map(\.dx)), dy: median(near.map(\.dy)))
        }
        let rewind = 25
        let last = wanted.max() ?? -1
        let pool = OrderedWorkerPool<Frame, GridSearch.Placed?>(width: jobs, maxInFlight: 2 * jobs + 2) { frame, index in
            guard wanted.contains(index), index < planned.count else { return nil }
            return frame.withLuma { plane in
                let here = search.read(plane, at: planned[index], under: hypothesis)
                // Where to look: the plan, and home moved on by this frame's motion for each frame
                // of an interval (the grid of a copy spliced in after a restart of its original).
                var start = here
                if let motion = motions[index] {
                    var g = GridTracker.home
                    for _ in 1...rewind {
                        g = g.then(motion)
                        let read = search.read(plane, at: g, under: hypothesis)
                        if read.score > start.score { start = read }
                    }
                }
                let found = search.read(plane, at: search.search(plane, around: start.geometry, under: hypothesis).geometry, under: hypothesis)
                let placed = search.refine(plane, from: found.score > start.score ? found : start, under: hypothesis)
                // A place is taken only where the pilots show the mark clearly (the best of the
                // ~1,500 places tried scores z ≥ 5 by chance about once in 2,000 frames).
                guard placed.score > here.score, placed.score >= Self.placedScore else { return nil }
                return placed
            }
        }
        var index = 0
        var found: [Int: GridSearch.Placed] = [:]
        func take(_ results: [GridSearch.Placed?]) {
            for r in results {
                if let r, index < verdict.frames.count { found[index] = r }
                index += 1
            }
        }
        var submitted = 0
        while submitted <= last, let item = try reader.next() {
            if case .frame(let frame) = item { take(try pool.submit(frame)); submitted += 1 }
        }
        take(try pool.finish())
        // The placed frames' own arrangement bits join the rest before they are judged again.
        let arrangements = analyzer.arrangements(replacing: found.mapValues(\.observation))
        for (i, r) in found {
            guard var again = analyzer.rejudge(r.observation, index: i, timeSeconds: verdict.frames[i].timeSeconds,
                                               arrangement: i < arrangements.count ? arrangements[i] : verdict.frames[i].arrangement) else { continue }
            again.gridUnknown = verdict.frames[i].gridUnknown
            verdict.frames[i] = again
            geometries[i] = r.geometry
        }
    }
}
