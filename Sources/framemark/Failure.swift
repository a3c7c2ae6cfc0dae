import ArgumentParser
import Foundation
import FrameMarkMedia

/// Runs a command body: an error becomes one line on stderr and exit status 1, and Ctrl-C removes
/// any output still being written before exiting with 130.
func reportingFailures(_ body: () throws -> Void) throws {
    installInterruptCleanup()
    FFmpegLog.set(verbose: ProcessInfo.processInfo.environment["FRAMEMARK_FFMPEG_LOG"] != nil)
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch let error as CLIError {
        printError(error.description)
        throw ExitCode(1)
    } catch {
        printError("\(error)")
        throw ExitCode(1)
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write("framemark: error: \(message)\n".data(using: .utf8)!)
}

func printWarning(_ message: String) {
    FileHandle.standardError.write("framemark: warning: \(message)\n".data(using: .utf8)!)
}

nonisolated(unsafe) private var interruptSources: [DispatchSourceSignal] = []

private func installInterruptCleanup() {
    guard interruptSources.isEmpty else { return }
    for sig in [SIGINT, SIGTERM] {
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler {
            TemporaryFiles.shared.removeAll()
            FileHandle.standardError.write("\nframemark: interrupted; partial output removed\n".data(using: .utf8)!)
            exit(128 + sig)
        }
        source.resume()
        interruptSources.append(source)
    }
}

/// Warnings every re-encoding command gives about what it could not carry over.
func warnAboutLosses(input: String, output: String, dropped: [StreamInfo], corruptPackets: Int) {
    for stream in dropped {
        printWarning("\(input): stream \(stream.index) (\(stream.kind.rawValue), \(stream.codec)) cannot go into \(output) and was left out")
    }
    if corruptPackets > 0 {
        printWarning("\(input): \(corruptPackets) corrupt video packet(s) skipped")
    }
}
