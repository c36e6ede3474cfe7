import Foundation
import Testing

/// Test material made fresh by Tests/smime/make-material.sh (openssl), once per process.
enum Material {
    static let dir: String = {
        let d = NSTemporaryDirectory() + "sealmilter-smime-\(getpid())"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("smime/make-material.sh").path
        let (status, out) = sh([script, d])
        precondition(status == 0, "make-material.sh failed (is openssl installed?): \(out)")
        return d
    }()
    static func path(_ name: String) -> String { dir + "/" + name }
}

/// Runs a program; its exit status and its standard output and error together.
@discardableResult
func sh(_ argv: [String], stdin: Data? = nil, env: [String: String]? = nil) -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: argv[0].hasPrefix("/") ? argv[0] : "/usr/bin/env")
    p.arguments = argv[0].hasPrefix("/") ? Array(argv.dropFirst()) : argv
    if let env { p.environment = ProcessInfo.processInfo.environment.merging(env) { _, b in b } }
    let pipe = Pipe()
    p.standardOutput = pipe; p.standardError = pipe
    let inPipe = Pipe()
    if stdin != nil { p.standardInput = inPipe }
    do { try p.run() } catch { return (127, "\(argv[0]): \(error)") }
    if let stdin { inPipe.fileHandleForWriting.write(stdin); try? inPipe.fileHandleForWriting.close() }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Output of a program that must succeed.
func must(_ argv: [String], stdin: Data? = nil) throws -> String {
    let (st, out) = sh(argv, stdin: stdin)
    guard st == 0 else { throw ToolFailure(message: "\(argv.joined(separator: " ")) failed (\(st)): \(out)") }
    return out
}
struct ToolFailure: Error, CustomStringConvertible { var message: String; var description: String { message } }
