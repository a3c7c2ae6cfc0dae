import ArgumentParser

/// Which grid `embed` lays the mark on (`--grid`).
enum GridChoice: String, ExpressibleByArgument, CaseIterable {
    /// The grid follows the picture's motion (`WatermarkEmbedding.attached`).
    case attached
    /// The grid keeps to the frame's edges.
    case fixed
}

/// `--grid` and the older `--attached` flag, for the commands that embed.
struct GridOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The mark's grid: 'attached' (the default) follows the picture's motion (far fewer extra bits with camera motion, sturdier under heavy compression), 'fixed' keeps to the frame's edges.",
                               discussion: "detect reads both kinds. See docs/algorithm.md."))
    var grid: GridChoice?

    @Flag(help: "The same as --grid attached.")
    var attached = false

    func validate() throws {
        if attached && grid == .fixed { throw ValidationError("--attached and --grid fixed contradict each other.") }
    }

    var isAttached: Bool { attached || grid != .fixed }
    var chosen: GridChoice { isAttached ? .attached : .fixed }
}
