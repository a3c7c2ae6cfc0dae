import FrameMarkCore
import FrameMarkMedia
import Foundation

/// Marks a still picture (PNG, JPEG, WebP) and writes it through FFmpeg's image codecs.
public struct ImageWatermarking {
    public var strength: Float
    /// JPEG and WebP quality, 1–100.
    public var quality: Int

    public init(strength: Float = 1, quality: Int = 92) {
        self.strength = strength
        self.quality = quality
    }

    public struct Summary: Sendable {
        public var width: Int
        public var height: Int
        public var format: StillImage.Format
        /// The EXIF orientation turned upright before marking (the output is written upright).
        public var appliedOrientation: Int?
        public var seconds: Double
    }

    /// The smallest picture a mark is laid on: the frame layer's grid needs a cell of a pixel.
    public static let minimumSize = (width: 64, height: 36)

    /// Marks `input` into `output`, in the format `output`'s extension names (else the input's).
    public func run(input: String, output: String, key: WatermarkKey, message: Message) throws -> Summary {
        let start = Date()
        if URL(fileURLWithPath: input).standardizedFileURL == URL(fileURLWithPath: output).standardizedFileURL {
            throw MediaError(path: output, "the output would overwrite the input")
        }
        let image = try StillImage(path: input)
        guard let format = StillImage.Format(path: output) ?? Self.format(ofCodec: image.codecName) else {
            throw MediaError(path: output, "cannot tell which image format to write: name it .png, .jpg or .webp")
        }
        guard image.width >= Self.minimumSize.width, image.height >= Self.minimumSize.height else {
            throw MediaError(path: input, "picture size \(image.width)x\(image.height) is too small to carry a watermark (at least 64x36)")
        }
        let marker = StillMarker(key: key, message: message, strength: strength)
        try image.withLuma { try marker.mark($0) }
        try image.write(to: output, format: format, quality: quality)
        return Summary(width: image.width, height: image.height, format: format, appliedOrientation: image.appliedOrientation,
                       seconds: Date().timeIntervalSince(start))
    }

    static func format(ofCodec codec: String) -> StillImage.Format? {
        switch codec {
        case "png": .png
        case "mjpeg": .jpeg
        case "webp": .webp
        default: nil
        }
    }
}
