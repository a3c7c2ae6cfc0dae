import FrameMarkMedia

/// One named attack of the design's matrix; its recipe depends on the video it is applied to.
public struct Attack: Sendable {
    public var name: String
    public var summary: String
    /// The filter and encoder settings for a given input video.
    public let recipe: @Sendable (VideoInfo) -> AttackRecipe
}

/// The attack matrix of the design card, as libavfilter descriptions and encoder settings.
/// Everything is re-encoded with libx264 CRF 23 unless the row names another codec.
public enum AttackCatalogue {
    static func x264(_ filter: String, crf: Int = 23) -> @Sendable (VideoInfo) -> AttackRecipe {
        { _ in AttackRecipe(filter: filter, codec: "libx264", crf: crf) }
    }

    static func codec(_ name: String, _ crf: Int, preset: String? = nil) -> @Sendable (VideoInfo) -> AttackRecipe {
        { _ in
            var recipe = AttackRecipe(codec: name, crf: crf)
            if let preset { recipe.options["preset"] = preset }
            return recipe
        }
    }

    static func even(_ expression: String) -> String { "trunc(\(expression)/2)*2" }

    public static let all: [Attack] = [
        Attack(name: "crf23", summary: "H.264 CRF 23 (preset medium)", recipe: codec("libx264", 23, preset: "medium")),
        Attack(name: "crf28", summary: "H.264 CRF 28 (preset medium)", recipe: codec("libx264", 28, preset: "medium")),
        Attack(name: "crf33", summary: "H.264 CRF 33 (preset medium)", recipe: codec("libx264", 33, preset: "medium")),
        Attack(name: "crf38", summary: "H.264 CRF 38 (preset medium)", recipe: codec("libx264", 38, preset: "medium")),
        Attack(name: "crf43", summary: "H.264 CRF 43 (preset medium)", recipe: codec("libx264", 43, preset: "medium")),
        Attack(name: "h265_crf28", summary: "H.265 CRF 28", recipe: codec("libx265", 28)),
        Attack(name: "vp9_crf40", summary: "VP9 CRF 40", recipe: codec("libvpx-vp9", 40)),
        Attack(name: "half", summary: "downscale to 1/2", recipe: x264("scale=\(even("iw/2")):\(even("ih/2"))")),
        Attack(name: "quarter", summary: "downscale to 1/4", recipe: x264("scale=\(even("iw/4")):\(even("ih/4"))")),
        Attack(name: "upscale1.5", summary: "upscale 1.5x", recipe: x264("scale=\(even("iw*1.5")):\(even("ih*1.5"))")),
        Attack(name: "stretch4x3", summary: "stretch to 4:3", recipe: x264("scale=\(even("ih*4/3")):ih")),
        Attack(name: "hflip", summary: "horizontal flip", recipe: x264("hflip")),
        Attack(name: "vflip", summary: "vertical flip", recipe: x264("vflip")),
        Attack(name: "rot90", summary: "rotation 90°", recipe: x264("transpose=1")),
        Attack(name: "rot180", summary: "rotation 180°", recipe: x264("hflip,vflip")),
        Attack(name: "rot270", summary: "rotation 270°", recipe: x264("transpose=2")),
        Attack(name: "invert", summary: "colour inversion", recipe: x264("negate")),
        Attack(name: "bright+0.15", summary: "brightness +0.15", recipe: x264("eq=brightness=0.15")),
        Attack(name: "bright-0.15", summary: "brightness −0.15", recipe: x264("eq=brightness=-0.15")),
        Attack(name: "contrast0.6", summary: "contrast 0.6", recipe: x264("eq=contrast=0.6")),
        Attack(name: "contrast1.5", summary: "contrast 1.5", recipe: x264("eq=contrast=1.5")),
        Attack(name: "gamma0.7", summary: "gamma 0.7", recipe: x264("eq=gamma=0.7")),
        Attack(name: "gamma1.4", summary: "gamma 1.4", recipe: x264("eq=gamma=1.4")),
        Attack(name: "greyscale", summary: "saturation 0", recipe: x264("hue=s=0")),
        Attack(name: "noise10", summary: "gaussian noise σ≈10/255", recipe: x264("noise=alls=17:allf=t")),
        Attack(name: "blur1", summary: "gaussian blur σ=1 px", recipe: x264("gblur=sigma=1")),
        Attack(name: "fps15", summary: "frame rate to 15 fps", recipe: x264("fps=15")),
        Attack(name: "trim1s", summary: "trim the first second", recipe: x264("trim=start=1,setpts=PTS-STARTPTS")),
        Attack(name: "concat", summary: "followed by 3 s of other footage", recipe: { video in
            let rate = video.frameRate.map { "\($0.num)/\($0.den)" } ?? "25"
            return AttackRecipe(filter: "[in]setsar=1[a];testsrc2=size=\(video.width)x\(video.height):rate=\(rate):duration=3,format=yuv420p,setsar=1[b];[a][b]concat=n=2:v=1")
        }),
        Attack(name: "crop75", summary: "centre crop to 75%", recipe: x264("crop=\(even("iw*0.75")):\(even("ih*0.75"))")),
        Attack(name: "crop50", summary: "centre crop to 50%", recipe: x264("crop=\(even("iw*0.5")):\(even("ih*0.5"))")),
        Attack(name: "crop60off", summary: "crop keeping 60% x 60% from (35%, 10%)",
               recipe: x264("crop=\(even("iw*0.6")):\(even("ih*0.6")):trunc(iw*0.35):trunc(ih*0.1)")),
        Attack(name: "reframe916", summary: "vertical reframe: full-height 9:16 centre window to 720x1280, CRF 28",
               recipe: x264("crop=\(even("ih*9/16")):ih,scale=720:1280", crf: 28)),
        Attack(name: "reframe916left", summary: "vertical reframe: full-height 9:16 window at the left edge to 720x1280, CRF 28",
               recipe: x264("crop=\(even("ih*9/16")):ih:0:0,scale=720:1280", crf: 28)),
        Attack(name: "square", summary: "1:1 square centre window to 720x720, CRF 28",
               recipe: x264("crop=ih:ih,scale=720:720", crf: 28)),
        Attack(name: "letterbox", summary: "whole picture 720 wide, letterboxed into 720x1280",
               recipe: x264("scale=720:-2,pad=720:1280:(ow-iw)/2:(oh-ih)/2")),
        // A platform's picture-in-picture: the picture at 60% over a blurred copy of itself on a
        // canvas of the original size, off centre.
        Attack(name: "pip", summary: "picture-in-picture: 60% size at (30%, 10%) over a blurred canvas, CRF 30",
               recipe: { _ in AttackRecipe(filter: "[in]split[a][b];[a]gblur=sigma=24[bg];[b]scale=\(even("iw*0.6")):-2[fg];[bg][fg]overlay=x=trunc(W*0.3):y=trunc(H*0.1)",
                                           crf: 30) }),
        Attack(name: "rotate2", summary: "rotation by 2°", recipe: x264("rotate=2*PI/180")),
        Attack(name: "rotate-2", summary: "rotation by −2°", recipe: x264("rotate=-2*PI/180")),
        Attack(name: "rotate5", summary: "rotation by 5°", recipe: x264("rotate=5*PI/180")),
        Attack(name: "rotate-5", summary: "rotation by −5°", recipe: x264("rotate=-5*PI/180")),
        Attack(name: "rotate10", summary: "rotation by 10°", recipe: x264("rotate=10*PI/180")),
        Attack(name: "rotate-10", summary: "rotation by −10°", recipe: x264("rotate=-10*PI/180")),
        Attack(name: "stabilise", summary: "stabiliser: rotate 3°, crop 88%, scale back, CRF 26",
               recipe: { video in AttackRecipe(filter: "rotate=3*PI/180,crop=\(even("iw*0.88")):\(even("ih*0.88")),scale=\(video.width):\(video.height)",
                                               crf: 26) }),
        Attack(name: "crop80_half_crf28", summary: "crop 80% + downscale 1/2 + H.264 CRF 28",
               recipe: x264("crop=\(even("iw*0.8")):\(even("ih*0.8")),scale=\(even("iw/2")):\(even("ih/2"))", crf: 28)),
    ]

    /// The attacks named in a comma-separated list ("all" for every one).
    public static func select(_ list: String) throws -> [Attack] {
        try selectNamed(list, from: all, name: \.name, kind: "attack")
    }
}

/// The entries of `all` named in a comma-separated `list` ("all": every one), in the list's
/// order; an unknown name is an error that says where the names are listed.
func selectNamed<T>(_ list: String, from all: [T], name: (T) -> String, kind: String) throws -> [T] {
    if list == "all" { return all }
    return try list.split(separator: ",").map { entry in
        let n = entry.trimmingCharacters(in: .whitespaces)
        guard let found = all.first(where: { name($0) == n }) else {
            throw MediaError("unknown \(kind) '\(n)' (framemark survive --attacks list shows them)")
        }
        return found
    }
}

import Foundation
