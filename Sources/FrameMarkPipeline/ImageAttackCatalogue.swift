import FrameMarkMedia

/// One attack on a still picture: a libavfilter graph, then the format (and quality) the copy
/// is saved in.
public struct ImageAttack: Sendable {
    public var name: String
    public var summary: String
    public var filter: String
    public var format: StillImage.Format
    public var quality: Int

    init(_ name: String, _ summary: String, filter: String = "null", format: StillImage.Format = .png, quality: Int = 92) {
        self.name = name
        self.summary = summary
        self.filter = filter
        self.format = format
        self.quality = quality
    }
}

/// The still-image matrix of the design card (docs/images.md). Copies are saved as PNG (lossless:
/// the row's own change is all they suffer) unless the row names a lossy format.
public enum ImageAttackCatalogue {
    public static let all: [ImageAttack] = [
        ImageAttack("jpeg90", "JPEG quality 90", format: .jpeg, quality: 90),
        ImageAttack("jpeg75", "JPEG quality 75", format: .jpeg, quality: 75),
        ImageAttack("jpeg50", "JPEG quality 50", format: .jpeg, quality: 50),
        ImageAttack("webp75", "WebP quality 75", format: .webp, quality: 75),
        ImageAttack("half", "resize to 1/2 of the sides", filter: "scale=trunc(iw/2):trunc(ih/2)"),
        ImageAttack("quarter", "resize to 1/4 of the sides", filter: "scale=trunc(iw/4):trunc(ih/4)"),
        ImageAttack("up1.5", "resize up 1.5x", filter: "scale=trunc(iw*1.5):trunc(ih*1.5)"),
        ImageAttack("stretch", "stretch to 3/4 of the height", filter: "scale=iw:trunc(ih*0.75)"),
        ImageAttack("crop75", "centre crop keeping 75% of the area", filter: "crop=trunc(iw*0.866):trunc(ih*0.866)"),
        ImageAttack("crop50", "centre crop keeping 50% of the area", filter: "crop=trunc(iw*0.707):trunc(ih*0.707)"),
        ImageAttack("crop75corner", "top-left crop keeping 75% of the area", filter: "crop=trunc(iw*0.866):trunc(ih*0.866):0:0"),
        ImageAttack("crop50corner", "bottom-right crop keeping 50% of the area", filter: "crop=trunc(iw*0.707):trunc(ih*0.707):iw-ow:ih-oh"),
        ImageAttack("rotate5", "rotation by 5° (black corners)", filter: "rotate=5*PI/180"),
        ImageAttack("rotate-5", "rotation by −5° (black corners)", filter: "rotate=-5*PI/180"),
        ImageAttack("rotate10", "rotation by 10° (black corners)", filter: "rotate=10*PI/180"),
        ImageAttack("rotate-10", "rotation by −10° (black corners)", filter: "rotate=-10*PI/180"),
        ImageAttack("rotate5crop", "rotation by 5°, cropped to hide the corners", filter: "rotate=5*PI/180,crop=trunc(iw*0.84):trunc(ih*0.84)"),
        ImageAttack("rotate10crop", "rotation by 10°, cropped to hide the corners", filter: "rotate=10*PI/180,crop=trunc(iw*0.7):trunc(ih*0.7)"),
        ImageAttack("rot90", "rotation 90°", filter: "transpose=1"),
        ImageAttack("rot180", "rotation 180°", filter: "hflip,vflip"),
        ImageAttack("rot270", "rotation 270°", filter: "transpose=2"),
        ImageAttack("hflip", "horizontal flip", filter: "hflip"),
        ImageAttack("vflip", "vertical flip", filter: "vflip"),
        ImageAttack("invert", "colour inversion", filter: "negate"),
        ImageAttack("bright+0.15", "brightness +0.15", filter: "eq=brightness=0.15"),
        ImageAttack("bright-0.15", "brightness −0.15", filter: "eq=brightness=-0.15"),
        ImageAttack("contrast0.6", "contrast 0.6", filter: "eq=contrast=0.6"),
        ImageAttack("contrast1.5", "contrast 1.5", filter: "eq=contrast=1.5"),
        ImageAttack("gamma0.7", "gamma 0.7", filter: "eq=gamma=0.7"),
        ImageAttack("gamma1.4", "gamma 1.4", filter: "eq=gamma=1.4"),
        ImageAttack("greyscale", "saturation 0", filter: "hue=s=0"),
        ImageAttack("blur1", "gaussian blur σ=1 px", filter: "gblur=sigma=1"),
        ImageAttack("noise10", "noise σ≈10/255", filter: "noise=alls=17"),
        ImageAttack("screenshot", "scaled to 80% on a bordered canvas, PNG",
                    filter: "scale=trunc(iw*0.8):trunc(ih*0.8),pad=trunc(iw/0.8)+48:trunc(ih/0.8)+48:(ow-iw)/2:(oh-ih)/2:color=0xF0F0F0"),
        ImageAttack("crop80_half_jpeg75", "crop 80% + resize 1/2 + JPEG 75",
                    filter: "crop=trunc(iw*0.8):trunc(ih*0.8),scale=trunc(iw/2):trunc(ih/2)", format: .jpeg, quality: 75),
    ]

    /// The attacks named in a comma-separated `list` ("all": every one).
    public static func select(_ list: String) throws -> [ImageAttack] {
        try selectNamed(list, from: all, name: \.name, kind: "image attack")
    }
}
