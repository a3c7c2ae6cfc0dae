/// The version of FrameMark, as `framemark --version` prints it and the registry records it.
public enum FrameMarkVersion {
    public static let string = "0.9.0"
}
